"""The command line: ``main`` (the fast exec path), the typer ``app``, one module per verb."""
