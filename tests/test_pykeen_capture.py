"""PyKEEN's ``pipeline(model="TransE", dataset="Nations", ...)``: what it ran with and the test
ranks' metrics, which it keeps on its result and prints only as a 225-row table pandas cuts."""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

# pykeen.pipeline.api as it reports: its result's configuration (defaults filled in, objects
# as their reprs) and metric_results.to_flat_dict() ("side.rank_type.metric").
FAKE_PIPELINE = """\
class MetricResults:
    def to_flat_dict(self):
        ranks = {}
        for side in ("head", "tail", "both"):
            for kind in ("optimistic", "realistic", "pessimistic"):
                ranks[f"{side}.{kind}.hits_at_10"] = 0.9 if side == "both" else 0.5
                ranks[f"{side}.{kind}.inverse_harmonic_mean_rank"] = 0.28
                ranks[f"{side}.{kind}.count"] = 402.0
        return ranks


class PipelineResult:
    def __init__(self, configuration):
        self.configuration = configuration
        self.metric_results = MetricResults()


def pipeline(*, model, dataset, training_kwargs=None, random_seed=None):
    return PipelineResult({
        "dataset": dataset.lower(),
        "model": model,
        "model_kwargs": {
            "random_seed": random_seed,
            "embedding_dim": 50,
            "power_norm": False,
            "entity_initializer": "<function xavier_uniform_ at 0x7f74dce1f060>",
            "loss": "MarginRankingLoss(\\n  (margin_activation): ReLU()\\n)",
        },
        "optimizer": "Adam",
        "optimizer_kwargs": {"lr": 0.001, "betas": [0.9, 0.999], "amsgrad": False},
        "training_loop": "SLCWATrainingLoop",
        "num_epochs": training_kwargs["num_epochs"],
        "batch_size": 256,
    })
"""


def test_pipeline_gives_its_configuration_as_params_and_the_test_ranks_as_metrics(
    repo: Repo,
) -> None:
    # Before: no param at all, and no metric but what the program printed itself.
    for package in ("pykeen", "pykeen/pipeline"):
        repo.write(f"{package}/__init__.py", "")
    repo.write("pykeen/pipeline/api.py", FAKE_PIPELINE)
    program(
        repo,
        """\
        from pykeen.pipeline.api import pipeline

        result = pipeline(
            model="TransE", dataset="Nations", training_kwargs=dict(num_epochs=5), random_seed=7
        )
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "dataset": "nations",
        "model": "TransE",
        "optimizer": "Adam",
        "training_loop": "SLCWATrainingLoop",
        "num_epochs": 5,
        "batch_size": 256,
        "random_seed": 7,
        "embedding_dim": 50,
        "lr": 0.001,
    }
    assert run["param_sources"]["num_epochs"] == "pykeen"
    assert run["metrics"] == {"hits_at_10": 0.9, "inverse_harmonic_mean_rank": 0.28}


@needs("pykeen")
def test_real_pykeen_transe_on_nations(repo: Repo) -> None:
    program(
        repo,
        """\
        from pykeen.pipeline import pipeline

        result = pipeline(
            model="TransE", dataset="Nations", training_kwargs=dict(num_epochs=2),
            random_seed=1235, device="cpu",
        )
        print(f"Hits@10: {result.get_metric('hits@10'):.3f}")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"]["model"] == "TransE"
    assert run["params"]["num_epochs"] == 2
    assert run["params"]["lr"] == 0.001
    assert 0 <= run["metrics"]["hits_at_10"] <= 1
    assert 0 < run["metrics"]["inverse_harmonic_mean_rank"] <= 1
    assert [step for step, _ in run["series"]["train_loss"]] == [1, 2]
    assert "train_prev_loss" not in run["metrics"]
