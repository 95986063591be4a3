"""What people see: terminal renderers and the HTML report. Views never read the store."""
