"""One module per command: each returns data or an exit code; cli/app.py renders it."""
