"""Which way a metric is better (lower, higher, neither), guessed from its name.

Kept apart from compare.py because the run table of ``ls`` needs only
this, and compare's dataclasses and imports cost every listing several milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

Direction = Literal["min", "max", "none"]
# How many metric names the guesses below remember: compare and report ask about each name
# a score of times, and a run may log 100,000 names (one per layer and statistic). Above the
# names in play, or a cyclic walk over them evicts every entry before its reuse.
NAMES_REMEMBERED = 1 << 18

# A metric whose name contains one of these words is better when lower (val_loss, test/error,
# rmse, latency); every other metric is better when higher (acc, auc, f1, bleu, ...).
LOWER_IS_BETTER = frozenset(
    {
        "loss",
        "error",
        "err",
        "mse",
        "mae",
        "rmse",
        "mape",
        "mdape",  # median absolute percent error (Prophet's performance_metrics)
        "nll",
        "perplexity",
        "ppl",
        "wer",
        "cer",
        "latency",
        "time",
        "seconds",
        "regret",
        # information criteria and deviance of a statistical fit (statsmodels' summaries)
        "aic",
        "bic",
        "hqic",
        "deviance",
        # an MCMC sampler's divergent transitions (PyMC, NumPyro): each one a failed draw
        "divergences",
        # a minimizer's objective (scikit-optimize, SciPy, CMA-ES): function_value, current_minimum
        "minimum",
    }
)
# A minimizer's objective as scikit-optimize, SciPy and CMA-ES print it: lower is better.
MINIMIZED = frozenset({"function_value"})
# Loss functions named by a word of no metric's (CatBoost's ``test_MultiClass``, its
# multi-class log loss; ``learn_CrossEntropy``): lower is better when one ends a name.
LOSS_FUNCTIONS = frozenset(
    "multiclass multiclassonevsall crossentropy logloss quantile expectile logcosh poisson "
    "tweedie huber multirmse rmsewithuncertainty".split()
)
# Counters and settings: logged beside the metrics, but neither higher nor lower is better, so
# they are never starred and never a report's subject (issue 18: best_epoch and lr were).
NO_DIRECTION = frozenset(
    {
        "epoch",
        "epochs",
        "step",
        "steps",
        "global_step",
        "best_epoch",
        "best_iteration",
        "iteration",
        "iter",
        "lr",
        "learning_rate",
        "time",
        "duration",
        "throughput",
        "runtime",
        "elapsed",
        "wall",
        "timestamp",
        "samples_per_second",
        "steps_per_second",
        "momentum",
        "weight_decay",
        "total_flos",
        # the gradients' size, a training diagnostic (the Hugging Face Trainer logs it per step)
        "grad_norm",
        "gradient_norm",
    }
)
# Work per second spelled out (the Hugging Face Trainer's train_samples_per_second,
# eval_steps_per_second, tokens_per_sec): a throughput, like it/s.
_PER_SECOND = ("_per_second", "_per_sec", "_per_s")
_WORDS = re.compile(r"[a-z]+|[A-Z][a-z]*|\d+")
# Settings an optimiser or scheduler changes as training goes: recorded as series (plot shows
# the schedule), judged never. Lightning's LearningRateMonitor logs lr-Adam, lr-SGD/pg1 and
# lr-Adam-momentum; others log train/lr, optimizer/lr/group0, lr_head.
SCHEDULES = frozenset(
    {"lr", "learning_rate", "learningrate", "momentum", "weight_decay", "wd", "beta1", "beta2"}
)
_SCHEDULE_AFFIXES = ("lr", "learning_rate")
# A name holding one of these is a result even beside "lr": lr_auc is logistic regression's.
RESULT_WORDS = LOWER_IS_BETTER | frozenset(
    "acc accuracy auc roc f1 precision recall score bleu rouge map iou miou dice reward return "
    "ndcg mrr top1 top5 r2 correct".split()
)
# Time per unit of work (ms/batch, s/it, sec/step) is a step time, better when lower like
# step_time; work per unit of time (it/s, samples/sec, tokens/s) is a throughput: no direction.
TIME_UNITS = frozenset(
    "ms s sec secs second seconds us ns min mins minute minutes h hr hrs hour hours".split()
)


@lru_cache(maxsize=NAMES_REMEMBERED)
def is_schedule(name: str) -> bool:
    """Whether ``name`` is a learning rate or another optimiser setting logged per step
    (``lr``, ``train/lr``, ``lr-Adam``, ``lr_head``, ``momentum``), not a result."""
    lowered = name.lower()
    if any(word.lower() in RESULT_WORDS for word in _WORDS.findall(name)):
        return False
    for segment in re.split(r"[/.]", lowered):
        if segment in SCHEDULES:
            return True
        for affix in _SCHEDULE_AFFIXES:
            if segment.startswith((f"{affix}_", f"{affix}-")):
                return True
            if segment.endswith((f"_{affix}", f"-{affix}")):
                return True
    return False


def _rate_direction(lowered: str) -> Direction | None:
    """``min`` for ms/batch, ``none`` for it/s; None for a name that is no rate of time."""
    parts = lowered.split("/")
    if len(parts) < 2:
        return None
    if parts[-1] in TIME_UNITS:
        return "none"
    if parts[-2] in TIME_UNITS:
        return "min"
    return None


def metric_direction(name: str, declared: Mapping[str, str] | None = None) -> Direction:
    """The direction ``.runledger.toml [metrics] direction`` declares for ``name``, else a
    guess from the name: "none" for counters, throughputs and settings (learning rates and
    other schedules), "min" for losses, errors and times ("ms/batch"), "max" for the rest."""
    if declared:
        for candidate in (name, name.rsplit("/", 1)[-1]):
            found = declared.get(candidate)
            if found in ("min", "max", "none"):
                return found  # type: ignore[return-value]
    return _guessed_direction(name)


@lru_cache(maxsize=NAMES_REMEMBERED)
def _guessed_direction(name: str) -> Direction:
    lowered = name.lower()
    rate = _rate_direction(lowered)
    if rate is not None:
        return rate
    base = re.split(r"[/.]", lowered)[-1]
    if (
        is_schedule(name)
        or base in NO_DIRECTION
        or base.endswith("_count")
        or base.startswith("n_")
        or base.startswith("num_")
        or base.endswith(("_lr", "_throughput", *_PER_SECOND))
    ):
        return "none"
    if re.split(r"[_\s-]", base)[-1] in LOSS_FUNCTIONS or base in MINIMIZED:
        return "min"
    words = {word.lower() for word in _WORDS.findall(name)}
    if words & LOWER_IS_BETTER:
        return "min"
    # Glued names (trainloss, valerror); short words only as whole words (not "power").
    if any(lowered.endswith(word) for word in LOWER_IS_BETTER if len(word) >= 4):
        return "min"
    return "max"


def describe_direction(direction: Direction) -> str:
    if direction == "none":
        return "no direction: a counter or setting"
    return "lower is better" if direction == "min" else "higher is better"
