"""Recording a run: prepare, run the command, capture what it did, build and write the record."""
