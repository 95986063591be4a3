"""Names vulture cannot see being used (called by typer, pytest or external tools)."""

main_options  # typer: the app's callback (runledger/cli/app.py)
write_many  # store/ledger.py: used by benchmarks/populate.py and the tests
