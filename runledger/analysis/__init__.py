"""What runs mean together: compare, diff, curves, importance, lineage, reproduce's verdict."""
