"""Which params matter for a metric across runs: ``runledger importance`` and the report.

Each run counts once, by its metric's last value (as ``compare`` and ``--where`` read it).
Everything is computed on the *ranks* of those values, so one diverged run (loss 1e9) cannot
dominate, and numeric and categorical params get scores on one 0-to-1 scale:

- numeric params (every value a number): Spearman's rank correlation rho between the param
  and the metric; the score is |rho|, and its sign says which way the metric moves;
- categorical params (text, booleans, lists; a missing value is a category of its own): the
  correlation ratio eta, the square root of eta squared, the share of the variance of the
  metric's ranks that the param's values explain (Kruskal-Wallis's effect size).

Each score has a chance level: the value that 95% of params with no relation to the metric
stay below for this many runs (1.96 / sqrt(n - 1) for rho; for eta squared, the chi-squared
quantile of the Kruskal-Wallis test divided by n - 1). Scores below it are marked weak.

Plain Python: a few thousand runs take milliseconds, and no scipy or scikit-learn is needed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runledger.analysis.compare import require_metric
from runledger.analysis.direction import Direction, metric_direction
from runledger.model.record import Run
from runledger.query.select import flatten, metric_values

MIN_RUNS = 5  # fewer runs with the metric and no score means anything
TRUSTED_RUNS = 20  # below this, the report says the scores are rough
CONFOUNDED = 0.9  # |rho| between two numeric params above which they moved together
MISSING = "(none)"
# The 95% quantiles of chi-squared with 1..5 degrees of freedom; Wilson-Hilferty beyond.
_CHI2_95 = (3.841, 5.991, 7.815, 9.488, 11.070)

Kind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class ParamScore:
    param: str
    kind: Kind
    score: float  # |rho| or eta: 0 = no relation, 1 = the param decides the order
    statistic: float  # rho (signed) or eta squared
    runs: int  # runs with the metric that have a value of the param
    distinct: int  # distinct values of the param among them
    chance: float  # the score that a param with no relation stays below, 95% of the time
    best_value: str | None = None  # categorical: the value whose runs rank best

    @property
    def weak(self) -> bool:
        return self.score < self.chance

    @property
    def method_label(self) -> str:
        if self.kind == "numeric":
            return f"Spearman ρ={self.statistic:+.2f}"
        return f"η²={self.statistic:.2f}"

    def reading(self, metric: str, direction: Direction) -> str:
        """The score in words: which way the metric moves, or which value does best."""
        if self.weak:
            return "could be chance"
        if self.kind == "numeric":
            rises = self.statistic > 0
            better = rises == (direction == "max")
            return (
                f"higher {self.param}, {'higher' if rises else 'lower'} {metric} "
                f"({'better' if better else 'worse'})"
            )
        return f"best with {self.param}={self.best_value}"

    def to_json(self, metric: str, direction: Direction) -> dict[str, Any]:
        return {
            "param": self.param,
            "kind": self.kind,
            "method": "spearman" if self.kind == "numeric" else "correlation_ratio",
            "score": round(self.score, 6),
            "statistic": round(self.statistic, 6),
            "runs": self.runs,
            "distinct_values": self.distinct,
            "chance_level": round(self.chance, 6),
            "weak": self.weak,
            "best_value": self.best_value,
            "reading": self.reading(metric, direction),
        }


@dataclass(frozen=True)
class Unscored:
    param: str
    reason: str


@dataclass(frozen=True)
class Importance:
    metric: str
    direction: Direction
    runs: int  # runs with a finite last value of the metric
    scores: tuple[ParamScore, ...]  # highest score first
    unscored: tuple[Unscored, ...] = ()
    problem: str | None = None  # why nothing could be scored, in words
    confounded: tuple[tuple[str, str, float], ...] = ()  # numeric params that moved together

    def method_text(self) -> str:
        return (
            f"Score: |Spearman rank correlation ρ| for numeric params; correlation ratio η "
            f"(square root of η², the share of variance explained) for categorical ones. "
            f"Both on the ranks of each run's last {self.metric}, so 0 = no relation and "
            f"1 = the param decides the order. Weak: below the 95% chance level for "
            f"{self.runs} runs."
        )

    def caveats(self) -> list[str]:
        notes: list[str] = []
        if self.scores and self.runs < TRUSTED_RUNS:
            notes.append(
                f"only {self.runs} runs: the scores are rough, record more runs to be surer"
            )
        for first, second, rho in self.confounded:
            notes.append(
                f"{first} and {second} changed together in these runs (ρ={rho:+.2f}): "
                "their scores cannot be told apart"
            )
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "direction": self.direction,
            "runs": self.runs,
            "problem": self.problem,
            "scores": [score.to_json(self.metric, self.direction) for score in self.scores],
            "unscored": [{"param": item.param, "reason": item.reason} for item in self.unscored],
            "confounded": [
                {"params": [first, second], "spearman": round(rho, 6)}
                for first, second, rho in self.confounded
            ],
        }


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            result[order[position]] = shared
        start = end + 1
    return result


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r; 0.0 when either side does not vary."""
    count = len(xs)
    mean_x, mean_y = sum(xs) / count, sum(ys) / count
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return 0.0
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    return pearson(ranks(xs), ranks(ys))


def eta_squared(groups: Sequence[str], ys: Sequence[float]) -> float:
    """The share of the variance of ``ys`` that the grouping explains (0 when ys is flat)."""
    mean = sum(ys) / len(ys)
    total = sum((y - mean) ** 2 for y in ys)
    if total <= 0:
        return 0.0
    members: dict[str, list[float]] = {}
    for group, y in zip(groups, ys, strict=True):
        members.setdefault(group, []).append(y)
    between = sum(len(m) * (sum(m) / len(m) - mean) ** 2 for m in members.values())
    return min(1.0, between / total)


def chi2_95(freedom: int) -> float:
    if freedom <= len(_CHI2_95):
        return _CHI2_95[freedom - 1]
    ratio = 2 / (9 * freedom)
    return freedom * (1 - ratio + 1.6449 * math.sqrt(ratio)) ** 3


def _number(value: Any) -> float | None:
    """A finite number; numeric text counts (older runs recorded some params as "0.01")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _score_param(
    name: str, values: Sequence[Any], metric_ranks: Sequence[float], direction: Direction
) -> ParamScore | Unscored:
    present = [i for i, value in enumerate(values) if value is not None]
    numbers = [_number(values[i]) for i in present]
    if present and all(number is not None for number in numbers):
        xs = [number for number in numbers if number is not None]
        distinct = len(set(xs))
        if distinct < 2:
            return Unscored(name, f"the same value in every run ({_text(values[present[0]])})")
        if len(xs) < MIN_RUNS:
            return Unscored(name, f"only {len(xs)} runs have it (at least {MIN_RUNS} needed)")
        ys = [metric_ranks[i] for i in present]
        rho = spearman(xs, ys)
        chance = min(1.0, 1.96 / math.sqrt(len(xs) - 1))
        return ParamScore(name, "numeric", abs(rho), rho, len(xs), distinct, chance)
    groups = [_text(value) for value in values]
    distinct = len(set(groups))
    if distinct < 2:
        return Unscored(name, f"the same value in every run ({groups[0]})")
    if distinct == len(groups):
        return Unscored(name, "a different value in every run")
    eta2 = eta_squared(groups, metric_ranks)
    chance = math.sqrt(min(1.0, chi2_95(distinct - 1) / (len(groups) - 1)))
    return ParamScore(
        name,
        "categorical",
        math.sqrt(eta2),
        eta2,
        len(present),
        distinct,
        chance,
        _best_group(groups, metric_ranks, direction),
    )


def _best_group(groups: Sequence[str], metric_ranks: Sequence[float], direction: Direction) -> str:
    members: dict[str, list[float]] = {}
    for group, rank in zip(groups, metric_ranks, strict=True):
        members.setdefault(group, []).append(rank)
    means = {group: sum(found) / len(found) for group, found in members.items()}
    pick = max if direction == "max" else min
    return pick(means, key=means.__getitem__)


def _confounded(
    columns: Mapping[str, Sequence[Any]], scored: Sequence[ParamScore]
) -> list[tuple[str, str, float]]:
    numeric = [score.param for score in scored if score.kind == "numeric" and not score.weak]
    pairs: list[tuple[str, str, float]] = []
    for i, first in enumerate(numeric):
        for second in numeric[i + 1 :]:
            both = [
                (a, b)
                for a, b in zip(
                    (_number(v) for v in columns[first]),
                    (_number(v) for v in columns[second]),
                    strict=True,
                )
                if a is not None and b is not None
            ]
            if len(both) >= MIN_RUNS:
                rho = spearman([a for a, _ in both], [b for _, b in both])
                if abs(rho) >= CONFOUNDED:
                    pairs.append((first, second, rho))
    return pairs


def importance(runs: Sequence[Run], metric: str, *, maximize: bool | None = None) -> Importance:
    """The importance of every param of ``runs`` for ``metric``."""
    require_metric(runs, metric)
    if maximize is None:
        guessed = metric_direction(metric)
        # A counter or a setting has no goal; importance still ranks by it, higher first.
        direction: Direction = "max" if guessed == "none" else guessed
    else:
        direction = "max" if maximize else "min"
    having: list[tuple[Run, float]] = []
    for run in runs:
        value = metric_values(run).get(metric)
        if value is not None:
            having.append((run, value))
    count = len(having)
    if count < MIN_RUNS:
        why = "has" if count == 1 else "have"
        return Importance(
            metric,
            direction,
            count,
            (),
            problem=(
                f"too few runs to tell: {count} {'run' if count == 1 else 'runs'} {why} a "
                f"value of {metric}; importance needs at least {MIN_RUNS} "
                f"(and {TRUSTED_RUNS} or more to be trusted)"
            ),
        )
    values = [value for _, value in having]
    if len(set(values)) < 2:
        return Importance(
            metric,
            direction,
            count,
            (),
            problem=f"every run has the same {metric}: no param can explain a difference",
        )
    metric_ranks = ranks(values)
    params = [flatten(run.params) for run, _ in having]
    columns = {
        name: [row.get(name) for row in params]
        for name in dict.fromkeys(name for row in params for name in row)
    }
    scored: list[ParamScore] = []
    unscored: list[Unscored] = []
    for name, column in columns.items():
        result = _score_param(name, column, metric_ranks, direction)
        (scored if isinstance(result, ParamScore) else unscored).append(result)  # type: ignore[arg-type]
    scored.sort(key=lambda score: (-score.score, score.param))
    problem = None
    if not scored:
        problem = (
            f"no param varies enough across the {count} runs with {metric} to tell"
            if columns
            else f"the {count} runs with {metric} recorded no params"
        )
    return Importance(
        metric,
        direction,
        count,
        tuple(scored),
        tuple(unscored),
        problem,
        tuple(_confounded(columns, scored)),
    )
