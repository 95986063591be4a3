"""The HTML report: the page (html.py) and its matplotlib figures (figures.py)."""
