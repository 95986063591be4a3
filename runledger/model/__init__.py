"""The run record and its formats, shared by every layer: the Run type, TOML, schema versions.

It sits below ``store`` because ``recording`` builds records, ``analysis`` computes on them and
``views`` show them, while only ``store`` reads and writes them in git.
"""
