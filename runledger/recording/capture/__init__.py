"""One module per source of facts about a run: params, metrics, environment, gpu, files."""
