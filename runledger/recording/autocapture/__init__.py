"""In-process capture for Python commands: the folder ``runledger exec`` puts on PYTHONPATH.

The folder's ``sitecustomize.py`` and ``_runledger_autocapture.py`` run inside the user's
program, under its own interpreter; :mod:`runledger.recording.capture.inprocess` decides
when to put them there and reads back what they report.
"""
