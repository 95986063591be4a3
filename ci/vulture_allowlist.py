"""Names vulture cannot see being used (called by typer, pytest or external tools)."""

main_options  # typer: the app's callback (runledger/cli/app.py)
write_many  # store/ledger.py: used by benchmarks/populate.py and the tests
record_children  # recording/children.py: for the in-process capture and Hydra helpers (and tests)
display_type_rich  # cli/app.py: typer reads it when it prints help
on_epoch_end  # recording/autocapture: Keras calls it
after_iteration  # recording/autocapture: XGBoost calls it
model  # recording/autocapture: XGBoost passes it to after_iteration
__spec__  # recording/autocapture/sitecustomize.py: the import system reads it
__loader__  # recording/autocapture/sitecustomize.py: the import system reads it
absolute_update  # store/artifacts.py: fsspec's Callback calls it
heartbeat  # recording/live.py: part of what a live run is (tests read it)
# Called by the tests only (known; each is a candidate for removal with its tests):
RunView  # query/select.py: the full-record view the where tests compare rows against
field_text  # query/where.py: writes a field the way --where reads it back (tests)
compile_where  # query/where.py: a Python predicate of an expression (tests)
summarize  # recording/capture/metrics.py: a stored series' summary (tests)
series_to_toml_dict  # recording/capture/metrics.py: a second metrics.toml codec (tests)
series_from_toml_dict  # recording/capture/metrics.py: its reader (tests)
hydra_config  # recording/capture/params.py (tests)
hydra_multirun_jobs  # recording/capture/params.py (tests)
__getattr__  # cli/app.py: the module attribute `app`, built on first use (PEP 562)
on_test_end  # recording/autocapture: a Keras callback method, called by Keras
compile_all  # recording/capture/lazyre.py: compiles every deferred pattern (tests)
