"""The shapes real training programs print their metrics in, read line by line.

:func:`parse_shaped_line` reads one line (already without ANSI escapes and surrounding blanks)
into ``(step, {name: value})`` or None. The line is read in three steps:

1. Logging prefixes are stripped: ``INFO:root:``, ``[I 2026-01-02 10:00:00,123]`` (Optuna),
   ``2026-01-02 10:00:00,123 - INFO - name -`` (or ``- name - INFO -``; the date also as
   ``01/02/2026``), ``[2026-01-02 10:00:00][__main__][INFO] -``
   (Hydra), ``2026-01-02 10:00:00.123 | INFO | mod:fn:1 -`` (loguru), ``... INFO __main__:``
   (the logger after the level), ``I0102 10:00:00.1 1 f.py:1]``
   (absl), ``[INFO]``, ``INFO     `` (``%(levelname)-8s``), rich's ``[12:00:00] INFO`` (and
   its ``train.py:6`` after the message), ``[RANK 0]`` (accelerate), an arrow marker (``====>``).
2. A head that names the step: ``epoch 3:``, ``Epoch 2/10 -``, ``[epoch 3]``, ``step 10:``,
   ``iter 5:``, ``Train Epoch: 1 [320/1437 (22%)]``, ``[0]`` (XGBoost, LightGBM; their ``cv``'s
   ``mean+std``), ``[0/25][100/782]`` (DCGAN), or a phase section such as ``Test set:``
   (``Training Results - Epoch: 1``, Ignite). A phase word before the step word (``Train
   Epoch``) or as the section (``Test set:``) prefixes the metric names (``train_loss``).
3. The rest is cut at ``,`` ``;`` ``|`` tabs and `` - ``; every piece must be a metric
   (``name: value``, ``name value``, ``name=value``), a step (``Step [100/600]``) or
   progress/timing noise (``11/11 ━━━━ 6s 507ms/step``, ``10/ 29 batches``, ``ETA: 3s``).
   A piece may end in its step (``Loss: 0.000996 after 150 batches``, pytorch/examples
   regression), taken only when a name holds a metric word.
   One piece that is none of these makes the whole line prose. An AverageMeter's running
   average after its value (``Loss 6.9e+00 (6.8e+00)``, pytorch/examples imagenet, timm) is
   cut off first: the value is the batch's, as on every other per-batch line.

A line is accepted only when it is unmistakable: it has a step head, is a Keras progress line
or a pipe-table row, or (for ``name: value`` pieces) one of its names holds a metric word such
as ``loss``, ``acc`` or ``f1`` (``Test accuracy: 0.8999``, not ``Seed: 42``). Names keep their
words: lower case, joined by ``_`` (``valid loss`` -> ``valid_loss``, ``eval-logloss`` ->
``eval_logloss``, ``valid_0's l2`` -> ``valid_0_l2``). A percentage keeps its number
(``91%`` -> 91; ``320/360 (89%)`` -> 88.8889, the count's); a time unit joins the name
(``time 653.87ms`` -> ``time_ms``). Python dict lines (``{'loss': 0.5, 'epoch': 1.0}``, as
Hugging Face's Trainer prints them) are read like JSON objects. Each regex is anchored and
tried on one short piece, so a line costs a few microseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final, NamedTuple

from runledger.recording.capture.lazyre import bind, compile_later

Number = int | float
Fields = dict[str, Number]


class Shaped(NamedTuple):
    """A shaped line's step, metrics, and how far into its epoch a per-batch line is.

    ``within``: ``(done, total)`` of the line's counter (``[320/60000 (1%)]``,
    ``200/2983 batches``, ``[Batch 100/938]``), only when the step is the line's epoch; for
    a line without a step, Keras' own progress counter (``8/12 ━━━━``).
    ``counted``: ``(epoch, step, total)`` of a line whose step is a step or iteration
    counter printed with the epoch (``Epoch [1/5], Step [100/600]``; total 0 when none is
    printed): whether that counter restarts every epoch is for the whole stream to show.
    ``counter``: ``(done, total)`` of a line without a step that ends in its own counter
    (``loss: 2.30  [ 6400/60000]``, the PyTorch Quickstart tutorial, under its ``Epoch 1``
    header): how far into the epoch that the last header names.
    """

    step: Number | None
    values: Fields
    within: tuple[int, int] | None = None
    counted: tuple[int, int, int] | None = None
    counter: tuple[int, int] | None = None


STEP_WORDS: Final = {
    "step": "step",
    "iter": "iteration",
    "iteration": "iteration",
    "it": "iteration",
    "episode": "episode",  # "Episode 100: average reward 0.01, epsilon 0.800" (Q-learning)
}
PHASES: Final = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "valid",
    "validation": "val",
    "test": "test",
    "testing": "test",
    "eval": "eval",
    "evaluation": "eval",
    "dev": "dev",
}
# A name holding one of these is a metric in a `Name: value` line; others (Seed: 42) are not.
METRIC_WORDS: Final = frozenset(
    "loss losses acc accuracy err error errors f1 auc roc precision recall prec score ppl "
    "perplexity bleu rouge rougel mse mae rmse mape r2 iou miou map dice reward rewards return "
    "logloss nll kl elbo top1 top5 wer cer psnr ssim fid l1 l2 huber entropy correct mrr ndcg "
    "hit hits auprc aupr fscore kappa mcc rocauc smape jaccard concordance aic bic "
    "likelihood rmsle msle rae cost".split()
) | frozenset(
    # a clustering's scores (scikit-learn's plot_dbscan, plot_kmeans_digits), a name whole
    "homogeneity completeness silhouette v-measure ari ami nmi".split()
    + ["adjusted rand index", "adjusted mutual information"]
    + ["coefficient of determination"]  # R², scikit-learn's plot_ols.py
    + ["r-squared", "r squared"]  # print("R-squared:", r2_score(y_test, y_pred))
)
# Words that name a metric only together: "Explained variance: 0.77" (scikit-learn's
# explained_variance_score), "Expected log joint density: -12.3" (NumPyro's regression tutorial).
METRIC_PHRASES: Final = ("explained variance", "log joint", "log density", "r squared")
# CamelCase too: river's metrics print their class names (BalancedAccuracy, MacroF1)
_NAME_WORD_SPLIT_RE: Final = compile_later(r"[\W_]+|(?<=[a-z])(?=[A-Z])")
# Words of sentences, never of a metric's name: "loss improved from 0.5 to 0.4".
PROSE_WORDS: Final = frozenset(
    "from to improved improve did does not is was are were be been has have had with at "
    "took takes after before than then saving saved loading loaded reached reaches found "
    "using use set setting into finished elapsed".split()
)
MAX_PY_DICT_CHARS: Final = 8192

_NUM: Final = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:nan|inf|-inf)"
_TIME_UNIT: Final = r"ms|us|µs|s|sec|secs|min|h"
_VALUE: Final = (
    # 320/360 (89%)
    rf"(?:(?P<done>[0-9]+)\s*/\s*(?P<pct_of>[0-9]+)\s*\(\s*(?P<pct>{_NUM})\s*%\s*\)"
    # (98%) alone after a colon: Lightning Fabric's image_classifier "Accuracy: (98%)"
    rf"|\(\s*(?P<bracketed_pct>{_NUM})\s*%\s*\)"
    rf"|(?P<num>{_NUM})(?:\s*(?P<percent>%)|(?P<unit>{_TIME_UNIT})(?![\w/])|\s*dB\b)?)"
)
# A word of a name: starts with a letter, may hold digits, _ . / - and a possessive 's.
_WORD: Final = r"[^\W\d][\w./'@-]*"
_NAME_WORDS: Final = rf"{_WORD}(?: {_WORD}){{0,4}}"

# name=value (names as written), name: value, name value (names of words).
_PIECE_RE: Final = compile_later(
    rf"(?P<name>{_NAME_WORDS})\s*(?P<sep>[:=]|(?= ))\s*{_VALUE}",
)
# A name, what it was averaged or measured over in parentheses, then its value: flair's
# "f1-score (micro avg)  0.83" (its ModelTrainer's DEV line), "AUC (test): 0.91".
_QUALIFIED_PIECE_RE: Final = compile_later(
    rf"(?P<name>{_WORD}(?: {_WORD}){{0,3}})\s*"
    r"\((?P<qualifier>[^\W\d][\w-]*(?: [^\W\d][\w-]*){0,2})\)"
    rf"\s*[:=]?\s*(?P<num>{_NUM})"
)
_EQUALS_RUN_RE: Final = compile_later(rf"(?:{_WORD}=(?:{_NUM})\s+)+{_WORD}=(?:{_NUM})")
_EQUALS_PAIR_RE: Final = compile_later(rf"({_WORD})=({_NUM})")
# name: value name: value, names of words (makemore's "train loss: 2.44 test loss: 2.43").
_COLON_RUN_RE: Final = compile_later(
    rf"(?:{_NAME_WORDS}:\s*(?:{_NUM})%?\s+)+{_NAME_WORDS}:\s*(?:{_NUM})%?"
)
_COLON_PAIR_RE: Final = compile_later(rf"({_NAME_WORDS}):\s*({_NUM})(%?)")
# Two phases' values of one metric: "Train / Test accuracy: 0.912 / 0.905." (dm-haiku's
# mnist_pruning.py), "Train/Val loss: 0.5/0.6".
_PHASES_PAIR_RE: Final = compile_later(
    r"(?P<a>train|training|val|valid|validation|test|testing|eval|dev)\s*/\s*"
    r"(?P<b>train|training|val|valid|validation|test|testing|eval|dev)\s+"
    rf"(?P<name>[^\W\d]\w*(?: [^\W\d]\w*){{0,2}})\s*:\s*(?P<x>{_NUM})\s*/\s*(?P<y>{_NUM})\.?",
    re.IGNORECASE,
)
# name value name value, one word a name, with no separator at all ("Epoch 1 loss 0.3012 acc
# 0.912", "iter 100 loss 2.31 lr 0.0003"): read only when every token alternates cleanly,
# a name holds a metric word and the line has a step.
_SPACED_VALUE: Final = rf"(?:{_NUM})(?:%|(?:{_TIME_UNIT})(?![\w/]))?"
_SPACED_RUN_RE: Final = compile_later(
    rf"{_WORD}\s+{_SPACED_VALUE}(?:\s+{_WORD}\s+{_SPACED_VALUE})+"
)
_SPACED_RUN_PAIR_RE: Final = compile_later(rf"({_WORD})\s+({_NUM})(%|(?:{_TIME_UNIT})(?![\w/]))?")
_NUMBER_WORD_RE: Final = compile_later(r"(?:^|\s)[+-]?(?:nan|inf)(?:\s|$)", re.IGNORECASE)
# Words that are never a metric's name on their own: "Epoch 3 batch 5 of 10".
_LINK_WORDS: Final = PROSE_WORDS | frozenset("of in on for by per and or the a an over out".split())

_STEP_NAMES: Final = {
    "step": "step",
    "iteration": "iteration",
    "iter": "iteration",
    "episode": "episode",  # "Episode 10\tLast reward: 9.00" (pytorch/examples RL)
    "epoch": "epoch",
    "global_step": "step",  # TensorFlow's Estimator: "eval_loss = 0.41, global_step = 1000"
}
_STEP_PIECE_RE: Final = compile_later(
    r"(?:end of\s+)?(?P<word>epoch|step|iter|iteration|it)\s*:?\s*[\[(]?\s*(?P<n>[0-9]+)"
    r"(?:\s*/\s*(?P<of>[0-9]+))?\s*[\])]?",
    re.IGNORECASE,
)
# A step counter opening a piece, then its metrics: "iter 100/600 loss 0.3" (after "epoch 1"),
# "Step 100/600 Loss: 0.2345" (yunjey's deep_residual_network), with no separator: a counter
# (never an epoch) taken only with a metric's name; or closed by a colon, any step word:
# "iter_dt 308.55ms; iter 10: train loss 2.1" (minGPT).
_LEADING_STEP_RE: Final = compile_later(
    r"(?P<word>epoch|step|iter|iteration|it)\s*[:#]?\s*(?P<n>[0-9]+)"
    r"(?:\s*/\s*(?P<of>[0-9]+))?(?:\s*(?P<colon>:))?\s+(?=\S)",
    re.IGNORECASE,
)
# "Loss: 0.000996 after 150 batches" (pytorch/examples regression): the step closes the piece.
_AFTER_STEP_RE: Final = compile_later(
    r"(?P<piece>.*?[0-9%])\s+after\s+(?:(?P<n>[0-9]+)\s+(?P<unit>batches|batch|steps|step"
    r"|iterations|iteration|iters|iter|epochs|epoch|updates|update)"
    r"|(?P<word>epoch|step|iteration|iter|batch)\s+(?P<wn>[0-9]+))",
    re.IGNORECASE,
)
# "Loss after epoch 0: 648.56" (gensim's Word2Vec loss callback, as its docs print it): the
# step between the name and its value.
_NAME_AFTER_STEP_RE: Final = compile_later(
    r"(?P<name>[^\W\d][\w ]*?)\s+after\s+(?P<word>epoch|step|iteration|iter|batch)\s+"
    r"(?P<wn>[0-9]+)(?P<rest>\s*[:=]\s*\S.*)",
    re.IGNORECASE,
)
_AFTER_UNITS: Final = {"epoch": "epoch", "iteration": "iteration", "iter": "iteration"}
# "best mean dice: 0.9625 at epoch 8" (MONAI's tutorials, after the epoch's "current mean
# dice"), "best_reward: 10.0 in #1" (tianshou's trainers): the epoch where the best so far
# was reached, no step of the line's; cut off. The piece is the last number before the tail
# (only one can be: the tail ends the piece), and must name "best" (_BEST_WORD_RE):
# ".*\bbest\b.*?" in one pattern went back over every "best" for each number after it,
# quadratic (a 28 KB line of them took 6.5 s).
_BEST_AT_RE: Final = compile_later(
    r"(?P<piece>.*[0-9%])\s+(?:at\s+(?:epoch|step|iteration|iter)\s*:?\s*|in\s+#)[0-9]+",
    re.IGNORECASE,
)
_BEST_WORD_RE: Final = compile_later(r"\bbest(?:\b|_)", re.IGNORECASE)
# A per-batch line's place in its epoch (word_language_model, PyTorch-GAN); else noise.
_WITHIN_RE: Final = compile_later(
    r"(?P<done>[0-9]+)\s*/\s*(?P<total>[0-9]+)\s*batches"  # 200/ 2983 batches
    r"|batch\s*:?\s*(?P<bdone>[0-9]+)\s*/\s*(?P<btotal>[0-9]+)",  # [Batch 100/938]
    re.IGNORECASE,
)
_NOISE_RE: Final = compile_later(
    rf"(?:[0-9]+\s*/\s*[0-9]+\s*)?(?:\[[=>.\s]*\]|[━─═=>.\s]+)?\s*"  # 11/11 ━━━━ or [====]
    rf"(?:(?:{_NUM})\s*(?:{_TIME_UNIT})(?:/(?:step|epoch|sample|batch|it))?\s*)*"  # 6s 507ms/step
    r"|[0-9]+\s*/\s*[0-9]+\s*batches"  # 10/ 29 batches
    r"|ETA:?\s*[0-9:.]+\s*(?:s|ms|min)?"
    # a clock: 00:00:01 (river's show_time), 0:00:01s (pytorch-tabnet's time so far)
    r"|[0-9]+(?::[0-9]{2}){1,2}s?"
    rf"|(?:{_NUM})\s*(?:[KMGT]i?B|B|bytes)"  # a size: 4.18 KiB (river's show_memory)
    rf"|(?:{_NUM})\s*(?:it|samples|img|imgs|tok|tokens|ex)?/s"  # 3.33/s (a throughput)
    r"|batch\s*:?\s*[0-9]+\s*/\s*[0-9]+",  # [Batch 100/938]
    re.IGNORECASE,
)

# Its blanks are possessive (\s*+): the optional parts after the step each began with \s*,
# and two in a row split a run of blanks every way before failing ("Step [1/2]" and 60,000
# blanks took 54 s; now 0.02 s). No part after a blank starts with one (a tab separator
# is taken by the blank before it, the match ending where it did).
_HEAD_RE: Final = compile_later(
    r"(?:\[\s*+(?P<bracket>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s*+\]"  # [0] (XGBoost), [1,000] (river)
    # DCGAN's "[0/25][100/782]": the epoch of its total, the batch of the epoch's
    r"|\[\s*+(?P<gepoch>[0-9]+)\s*+/\s*+[0-9]+\s*+\]\s*+\[\s*+(?P<gdone>[0-9]+)\s*+/\s*+(?P<gtotal>[0-9]+)\s*+\]"
    r"|\[\s*+(?P<bword>epoch|step|iter|iteration|it)\s*+:?\s*+(?P<bn>[0-9]+)"
    r"(?:\s*+/\s*+(?P<bof>[0-9]+))?\s*+\]"
    r"|(?:(?P<phase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)"
    r"(?:\s++(?:results?|metrics?|set|stats)\s++-)?\s++"  # ignite's "Training Results - Epoch: 1"
    # the Flax NNX MNIST tutorial's "[train] step: 200, loss: 0.31, accuracy: 90.08"
    r"|\[(?P<sqphase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)\]\s++)?"
    r"(?:(?<=\s)in\s++)?"  # "train in step: 100, loss: 0.45" (Flax's nlp_seq example)
    r"(?:end of\s++|current\s++)?"  # MONAI's; TPOT's "Generation 1 - Current best ...: 0.97"
    r"(?P<word>epoch|step|iter|iteration|it|episode|generation)\b"
    r"\s*+[:#]?\s*+[\[(]?\s*+(?P<n>[0-9]+)"
    r"(?:\s*+/\s*+(?P<of>[0-9]+))?\s*+[\])]?"
    r"(?:\s*+:?\s*+\[\s*+(?P<done>[0-9]+)\s*+/\s*+(?P<total>[0-9]+)\s*+(?:\(\s*+[0-9.]+\s*+%\s*+\)\s*+)?\]"
    r"|\((?P<rdone>[0-9]+)/(?P<rtotal>[0-9]+)\)"
    r"|:\s++(?P<sdone>[0-9]+) / (?P<stotal>[0-9]+)(?=\s))?"
    # ^ [320/1437 (22%)]: how far into the epoch; pytorch/examples fast_neural_style's
    # "Epoch 1:\t[4000/83000]" and super_resolution's "Epoch[1](1/10):"; fairseq's
    # "epoch 001:    100 / 1000 loss=9.5"
    # pytorch/examples gcn's "Epoch: 0001 (0.1234s)"
    r"(?:\s*+\(\s*+[0-9.]+\s*+(?:s|ms|sec)\s*+\))?"
    r"(?:\s*+\b(?:complete|completed|finished|done)(?=\s*:))?"  # "Epoch 1 Complete: Avg. Loss: 0.1"
    # timm's "Train: 0 [   0/4 ( 25%)]": a phase, its epoch, how far into it
    r"|(?P<bphase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)\s*+:\s*+"
    r"(?P<pn>[0-9]+)\s*+\[\s*+(?P<pdone>[0-9]+)\s*+/\s*+(?P<ptotal>[0-9]+)\s*+"
    r"(?:\(\s*+(?P<ppct>[0-9.]+)\s*+%\s*+\)\s*+)?\]"
    r"|(?P<section>train|training|val|valid|validation|test|testing|eval|evaluation|dev)"
    r"(?:(?:\s++set)?(?:\s++(?:results?|metrics?|scores?|stats))?\s*+:(?=\s*+[^\W\d])"
    r"|\s++set(?=\s++[^\W\d][\w ]*:)"  # "Test set loss: 539.89" (pytorch/examples vae)
    # "Training Results - Epoch: 1 Avg accuracy: 0.11" (PyTorch Ignite's examples)
    r"|\s++(?:results?|metrics?|scores?|stats)\s++-(?=\s++(?:epoch|step|iter|iteration)\b)))"
    r"\s*+(?:[:,|\t]|-(?=\s)|$)?\s*+",
    re.IGNORECASE,
)
_BRACKETED_STEP_RE: Final = compile_later(
    r"\b(epoch|step|iter|iteration|it|batch)\s*:?\s*\[\s*([0-9]+(?:\s*/\s*[0-9]+)?)\s*\]",
    re.IGNORECASE,
)
# The time so far as a clock, with its name: StarGAN's "Elapsed [0:00:10], " (its
# str(timedelta), "1 day, 2:03:04" after a day; copied by many GAN repositories). No metric.
# Or as a number of minutes: attention-is-all-you-need-pytorch's "elapse: 0.123 min".
_ELAPSED_RE: Final = compile_later(
    r"\b[Ee]lapsed(?: [Tt]ime)?\s*:?\s*\[?\s*(?:[0-9]+ days?, )?[0-9]+(?::[0-9]{2}){1,2}"
    r"(?:\.[0-9]+)?\s*\]?\s*,?"
    rf"|\belapsed?(?: time)?:\s*(?:{_NUM})\s*(?:{_TIME_UNIT})\b\s*,?"
)
# A phase in parentheses before a line's metrics (_phase_pieces).
_PARENTHESIZED_PHASE_RE: Final = compile_later(
    r"(?:-\s+)?\((?P<phase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)"
    r"\)\s+",
    re.IGNORECASE,
)
# AverageMeter's "{val} ({avg})" (pytorch/examples imagenet, timm): the value counts, as every
# other per-batch line's does; the running average (reset each epoch) is cut off.
_RUNNING_AVERAGE_RE: Final = compile_later(
    rf"(?:(?<=[0-9])|(?<=[0-9]s)|(?<=/s))\s+\(\s*(?:{_NUM})\s*(?:s|ms|sec)?"
    rf"(?:\s*,\s*(?:{_NUM})\s*/s)?\s*\)"
)
# kuangliu/pytorch-cifar's progress_bar (copied into many repositories): "Step: 8s497ms | Tot:
# 1m5s | Loss: 2.303 | Acc: 10.000% (13/128)". The step's and the epoch's time so far, its
# format_time's units, are no metrics; nor is the "(correct/total)" count behind a percentage.
_BAR_TIMING_RE: Final = compile_later(r"(?:Step|Tot):\s*(?:[0-9]+(?:D|h|m|s|ms))+")
_PERCENT_COUNT_RE: Final = compile_later(r"(?<=%)\s*\(\s*[0-9]+\s*/\s*[0-9]+\s*\)")
# bearpaw/pytorch-classification (the progress package's Bar): "Epoch: [3 | 164] LR:
# 0.100000", then "Processing |####    | (12/391) Data: 0.012s | Batch: 0.345s | Total:
# 0:00:12 | ETA: 0:01:23 | Loss: 2.3026 | top1:  10.0000 | top5:  50.0000" redrawn: the
# running averages; the times and the count are no metrics.
_EPOCH_OF_RE: Final = compile_later(rf"Epoch: \[(?P<n>[0-9]+) \| [0-9]+\](?: LR: (?:{_NUM}))?")
_PROGRESS_SUFFIX_RE: Final = compile_later(
    r"(?:[\w ]*\s)?\|[#\s]*\|\s+\([0-9]+/[0-9]+\)\s+"
    rf"Data: (?:{_NUM})s \| Batch: (?:{_NUM})s \| Total: [0-9:]+ \| (?P<rest>.+)"
)
PROGRESS_SUFFIX_MARK: Final = "| Batch: "
_RATE_NAMES: Final = frozenset({"lr", "learning_rate"})  # no phase's (_prefixed)
_SAVING_DICT_RE: Final = compile_later(
    r"Saving dict for global step (?P<step>[0-9]+): (?P<rest>.+)"
)
# pytorch-CycleGAN-and-pix2pix's util/visualizer.py: "(epoch: %d, iters: %d, time: %.3f,
# data: %.3f) " then "%s: %.3f " per loss (some copies: "[Total iters: %d] " before, "%+.3e").
_CYCLEGAN_PAIR: Final = rf"(?P<name>[A-Za-z][\w/]*): (?P<value>{_NUM})"
_CYCLEGAN_RE: Final = compile_later(
    r"(?:\[Total iters: [0-9]+\] )?\(epoch: (?P<epoch>[0-9]+), iters: (?P<iters>[0-9]+)"
    rf"(?:, time: (?:{_NUM}))?(?:, data: (?:{_NUM}))?\)\s*"
    rf"(?P<losses>(?:[A-Za-z][\w/]*: (?:{_NUM})\s*)+)"
)
_CYCLEGAN_PAIR_RE: Final = compile_later(_CYCLEGAN_PAIR)
# imagenet's batch_time = AverageMeter("Time"), data_time = AverageMeter("Data"); timm's too.
_METER_TIMES: Final = {"time": "batch_time", "time_s": "batch_time_s", "data": "data_time"}
_SB3_EVAL_RE: Final = compile_later(
    rf"(?:Eval num_timesteps=(?P<step>[0-9]+), episode_reward=|Episode length: )"
    rf"(?P<mean>{_NUM}) \+/- (?P<std>{_NUM})"
)
# mmengine's LogProcessor (OpenMMLab's mmdet, mmpretrain, mmseg): "Epoch(train)  [1][ 10/500]",
# "Iter(train) [ 10/1000]", "Epoch(val) [1][50/50]", "Epoch(test) [50/50]", then "name: value"
# items two spaces apart.
_MMENGINE_HEAD_RE: Final = compile_later(
    r"(?P<unit>Epoch|Iter)\((?P<mode>train|val|test)\)\s*(?:\[\s*(?P<epoch>[0-9]+)\s*\]\s*)?"
    r"\[\s*(?P<done>[0-9]+)\s*/\s*(?P<total>[0-9]+)\s*\](?:\s{2,}|$)"
)
# The items of mmengine's and MetricLogger's lines: eta is a duration ("0:01:07", "1 day,
# 2:03:04"), not a value; mmengine's learning rates of the parameter groups are one space apart
# ("base_lr: 1.0000e-02 lr: 1.0000e-02"); MetricLogger's running average follows the value.
_LOGGED_ITEM_RE: Final = compile_later(
    r"\s*(?:eta: (?:[0-9]+ days?, )?[0-9]+:[0-9]{2}:[0-9]{2}"
    rf"|(?P<name>[^\W\d][\w./@-]*(?: [^\W\d][\w./@-]*)?):\s+(?P<value>{_NUM})"
    rf"(?:\s+\(\s*(?:{_NUM})\s*\))?)(?=\s|$)"
)
# MetricLogger (torchvision's references, DETR, DeiT, MAE, DINO): "Epoch: [0]  [ 10/500]  eta:
# 0:01:02  lr: 0.1  loss: 2.3045 (2.3101)  time: 0.1234  data: 0.0123  max mem: 1234"
_METRIC_LOGGER_HEAD_RE: Final = compile_later(
    r"Epoch: \[(?P<epoch>[0-9]+)(?:/[0-9]+)?\]"
    r"\s*\[\s*(?P<done>[0-9]+)\s*/\s*(?P<total>[0-9]+)\s*\](?:\s{2,}|\t|$)"
)
# An evaluation's own timings are not its metrics (mmengine keeps them out of its scalars.json
# too) and would mix with training's.
_MMENGINE_EVAL_TIMES: Final = frozenset({"time", "data_time", "memory"})
# fairseq's validation: "epoch 001 | valid on 'valid' subset | loss 8.123 | ppl 278.77": the
# subset's name prefixes every value's, as fairseq's own JSON log format names them.
_SUBSET_RE: Final = compile_later(r"valid on '(?P<subset>[^\W\d][\w.-]*)' subset")
# torchtitan's metrics line: "step:  1  loss: 12.23450  grad_norm:  3.1234  memory: 12.34GiB(15.00%)
# tps: 1,234  tflops: 12.34  mfu: 1.23%" (and "validate step: 10  loss: ..."), items two spaces
# apart, counts with thousands separators, a unit and its share of the whole after a value.
_SPACED_ITEMS_HEAD_RE: Final = compile_later(
    r"(?:(?P<phase>validate|validation|val|eval|evaluation|test)\s+)?step:\s*(?P<n>[0-9]+)\s{2,}",
    re.IGNORECASE,
)
_SPACED_ITEM_RE: Final = compile_later(
    r"\s*(?P<name>[^\W\d][\w./-]*):\s*(?:N/A|(?P<value>[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
    rf"|{_NUM})(?:(?P<percent>%)|(?P<unit>GiB|MiB|GB|MB|{_TIME_UNIT})(?:\([0-9.]+%\))?)?)(?=\s{{2,}}|$)"
)
_SPACED_ITEM_PHASES: Final = {"validate": "val", **PHASES}
_CALL_NAME: Final = r"[^\W\d][\w()]*"  # Loss_D, D(x), D(G(z))
_CALL_PAIR_RE: Final = compile_later(
    rf"(?P<name>{_CALL_NAME})\s*:\s*(?P<num>{_NUM})(?:\s*/\s*(?P<more>{_NUM}))?"
)
_CALL_PAIRS_RE: Final = compile_later(
    rf"(?:{_CALL_NAME}\s*:\s*(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?\s*)+"
)
# CatBoost's round line: "0:\tlearn: 0.68\ttest: 0.69\tbest: 0.69 (0)\ttotal: 5ms\tremaining: 5s"
# (its eval metric on each data set, "test1" for a second one; no "learn" for a metric not
# computed on it). "best" repeats a test value, total and remaining are times: not metrics.
_CATBOOST_RE: Final = compile_later(
    rf"(?P<step>[0-9]+):\t(?P<values>(?:[^\W\d]\w*: (?:{_NUM})\t)+)"
    rf"(?:best: (?:{_NUM}) \([0-9]+\)\t)?total: [^\t]+\tremaining: [^\t]+"
)
_CATBOOST_PAIR_RE: Final = compile_later(rf"([^\W\d]\w*): ({_NUM})")
# xgb.cv's and lgb.cv's rounds, a mean and its standard deviation per metric:
# "[3]\ttrain-auc:0.96+0.001\ttest-auc:0.95+0.002" (XGBoost),
# "[3]\tcv_agg's valid l2: 0.31 + 0.01" (LightGBM).
_CV_ROUND_RE: Final = compile_later(
    rf"\[(?P<step>[0-9]+)\](?P<values>(?:\t[^\t:]+:\s*(?:{_NUM})\s*\+\s*(?:{_NUM}))+)"
)
_CV_PAIR_RE: Final = compile_later(rf"\t([^\t:]+):\s*({_NUM})\s*\+\s*({_NUM})")
# scikit-learn's HistGradientBoosting (verbose=2), an iteration of its trees:
# "[3/100] 10 trees, 310 leaves (31 on avg), max depth = 8, train loss: 1.02, val loss: 1.15,
# in 0.154s" (one tree: "1 tree, 31 leaves, "; "score" for a scorer; no values without early
# stopping). The sizes and the time are no metrics.
_TREES_ROUND_RE: Final = compile_later(
    r"\[(?P<step>[0-9]+)/[0-9]+\] [0-9]+ trees?, [0-9]+ leaves(?: \([0-9]+ on avg\))?,"
    rf" max depth = [0-9]+, (?P<values>(?:(?:train|val) (?:loss|score): (?:{_NUM}), )+)"
    rf"in (?:{_NUM})s"
)
_TREES_PAIR_RE: Final = compile_later(rf"(train|val) (loss|score): ({_NUM})")
# FLAML's AutoML, once per iteration (one a line, from 0): "at 1.6s,\testimator lgbm's best
# error=7.3333e-02,\tbest estimator lgbm's best error=7.3333e-02": the search's best error so
# far (1 - accuracy for metric="accuracy"), named by no learner.
_FLAML_ITERATION_RE: Final = compile_later(
    rf"at (?:{_NUM})s,\s+estimator [\w.-]+'s best error=(?:{_NUM}),"
    rf"\s+best estimator [\w.-]+'s best error=(?P<best>{_NUM})"
)
# MONAI's tutorials, once training ends: "train completed, best_metric: 0.9625 at epoch: 8"
# (some add ", total time: 123.4."): the best validation metric; its epoch is no step.
_MONAI_COMPLETED_RE: Final = compile_later(
    rf"train completed, best_metric: (?P<best>{_NUM})\s+at (?:epoch|iteration|step):?\s*[0-9]+"
    rf"(?:,?\s*total time:\s*(?:{_NUM})\s*s?\.?)?"
)
# scikit-learn's SGD models (SGDClassifier, SGDRegressor, Perceptron; verbose=1): after
# "-- Epoch 3", "Norm: 6.39, NNZs: 64, Bias: -3.141450, T: 1347, Avg. loss: 0.140349" (some
# builds add ", Objective: 0.23"). The weights' norm and nonzeros, the bias and the samples
# seen (T) describe the model, not how well it does.
_SGD_EPOCH_RE: Final = compile_later(
    rf"Norm: (?:{_NUM}), NNZs: [0-9]+, Bias: (?:{_NUM}), T: [0-9]+, "
    rf"Avg\. loss: (?P<loss>{_NUM})(?:, Objective: (?P<objective>{_NUM}))?"
)
# scikit-optimize's minimizers (gp_minimize, forest_minimize, ...; verbose=True) print each
# call as "Iteration No: 3 ended. Search finished for the next optimal point.", then "Time
# taken: 0.01", "Function value obtained: 0.0751" and "Current minimum: 0.0481"; SciPy's
# minimize (disp=True) ends with "Current function value: 0.000000". The function's values
# are the metrics, not the time nor the counts of calls.
# The iteration's first line names its step; its "ended" line again would start another run.
_ITERATION_NO_RE: Final = compile_later(r"Iteration No: (?P<n>[0-9]+) started\..*")
_FUNCTION_VALUE_RE: Final = compile_later(
    rf"(?P<name>Function value obtained|Current minimum|Current function value): (?P<v>{_NUM})"
)
_FUNCTION_VALUE_NAMES: Final = {
    "Function value obtained": "function_value",
    "Current minimum": "current_minimum",
    "Current function value": "function_value",
}
# Once the search ends, scikit-optimize's examples print its result: "x^*=-0.3048,
# f(x^*)=-0.9064" (the best point, then the function there), or "Best value: -0.9064": the
# best value found, never the point's coordinates.
_BEST_VALUE_RE: Final = compile_later(
    rf"(?:x\^\*=\s*(?:{_NUM}|\[[^\]]*\]),\s*f\(x\^\*\)\s*=|Best value:)\s*(?P<v>{_NUM})"
)
# NumPyro's and Pyro's MCMC.print_summary() end with "Number of divergences: 21": the count
# a person quotes of the run. The table above it (each latent's mean, std, quantiles, n_eff,
# r_hat) describes the posterior, one row a variable: no metric of the run's.
_DIVERGENCES_RE: Final = compile_later(r"Number of divergences: (?P<n>[0-9]+)")
# A line's own counter at its end, after its metrics: "loss: 2.302  [ 6400/60000]".
_TRAILING_COUNTER_RE: Final = compile_later(r".*?\S\s*\[\s*([0-9]+)\s*/\s*([0-9]+)\s*\]")
# Or at its start, before its metrics: "3/10, train_loss: 0.2556" (MONAI's tutorials, under
# their "epoch 1/10" header).
_LEADING_COUNTER_RE: Final = compile_later(r"([0-9]+)/([0-9]+),\s")
# A mean's spread after it, cut off (the mean is the metric): "accuracy: 0.82 ± 0.02",
# "Accuracy: 0.81 (+/- 0.03)" (scikit-learn's cross-validation examples).
_SPREAD_RE: Final = compile_later(
    rf"(?<=[0-9%])\s*(?:±|\+/-)\s*(?:{_NUM})%?"
    rf"|(?<=[0-9%])\s*\(\s*(?:±|\+/-)\s*(?:{_NUM})%?\s*\)"
)
# mlxtend's SequentialFeatureSelector(verbose=2), its time stamp cut: the cross-validated score
# of the best subset of each size, at its number of features. The score ends with no newline:
# what is printed next follows on the line (joblib's "[Parallel(n_jobs=1)]: Done ...", the
# program's print(sfs.subsets_) "{1: {'feature_idx': ...").
_FEATURE_SELECTION_RE: Final = compile_later(
    rf"Features: (?P<count>[0-9]+)/\S+ -- score: (?P<score>{_NUM})(?:[^\s0-9.].*)?"
)
# The model a mean is of, in brackets after its spread: "Accuracy: 0.95 (+/- 0.04) [Random
# Forest]" (scikit-learn's VotingClassifier guide, mlxtend's StackingClassifier examples).
_LABEL_AFTER_SPREAD_RE: Final = compile_later(
    r"(?P<rest>.*?[0-9%])\s+\[\s*(?P<label>[A-Za-z][\w .+-]*?)\s*\]\s*"
)
# Words of a name that says it is a mean over folds or seeds already.
_MEAN_WORDS: Final = frozenset("mean avg average cv cross crossval folds".split())
# A percentage's spread in parentheses, percent too: machinelearningmastery's
# print("Accuracy: %.2f%% (%.2f%%)" % (results.mean()*100, results.std()*100)).
_PERCENT_SPREAD_RE: Final = compile_later(rf"(?<=%) \(\s*(?:{_NUM})\s*%\s*\)")
# The mean before its name, the spread after: "0.98 accuracy with a standard deviation of
# 0.02" (scikit-learn's user guide on cross_val_score). The mean is the metric.
_MEAN_WITH_STD_RE: Final = compile_later(
    rf"(?P<mean>{_NUM})(?P<percent>%?) (?P<name>{_NAME_WORDS}) with a standard deviation of"
    rf" (?:{_NUM})%?\.?"
)
# One result named as a sentence names it: a parenthesis (an abbreviation, a phase, a unit)
# or the data set it was measured on. "The mean squared error (MSE) on test set: 3006.96"
# (scikit-learn's plot_gradient_boosting_regression), "Root Mean Squared Error (RMSE): 3.2",
# "Accuracy on the test set: 0.9", "AUC (test): 0.91", "Test accuracy (%): 91.2".
_PHASE_WORDS: Final = "|".join(PHASES)
_SPLIT_NAME_RE: Final = compile_later(
    rf"(?:(?:final|best|overall)\s+)?(?:{_PHASE_WORDS})", re.IGNORECASE
)
_CARET_WORD: Final = r"[^\W\d][\w./'@^-]*"  # "Lasso r^2 on test data : 0.480"
_NAMED_RESULT_RE: Final = compile_later(
    rf"(?:(?i:the)\s+)?(?P<name>{_CARET_WORD}(?:\s+{_CARET_WORD}){{0,4}}?)"
    r"(?:\s*\((?P<inner>[^()\s]{1,12})\))?"
    rf"(?:\s+(?i:on|for)\s+(?:(?i:the)\s+)?(?P<phase>(?i:{_PHASE_WORDS}))"
    r"(?:\s+(?i:set|data|dataset|split))?)?"
    r"(?:\s*\((?P<after>[^()\s]{1,12})\))?"
    # "The RMSE of prediction is: 0.445" (LightGBM's python-guide): what it was measured of
    rf"(?:\s+of\s+(?P<of>{_WORD}(?:\s+{_WORD}){{0,3}}?))?"
    # "The accuracy of the model is 0.95", "Model accuracy is 95.2%": a sentence naming it
    rf"(?:(?P<is>\s+(?:is|was))\s*:?|\s*:)\s*(?P<num>{_NUM})(?:\s*%)?\.?"
)
_GROUPED_RESULT_RE: Final = compile_later(
    rf"\s*(?P<name>{_WORD}(?:\s+{_WORD}){{0,4}}?)\s*[:=]\s*\$?"
    r"(?P<num>[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)"
)
_ABBREVIATION_RE: Final = compile_later(r"[^\W\d][\w^]*")
_NAMED_RESULT_HINTS: Final = ("(", " on ", " for ", " is: ", " was: ")
_SENTENCE_WORDS: Final = frozenset({"is", "was"})
_SUBJECT_HOLDER_WORDS: Final = frozenset(
    "model models final overall our my classifier network net set data dataset".split()
)
# R² as printed: "R^2 = 0.81", "R²: 0.81", "R-squared: 0.81", "Coefficient of determination:
# 0.47" are one metric, r2 (scikit-learn's r2_score; the statsmodels summary's R-squared too).
_R2_SIGN_RE: Final = compile_later(r"(?<![\w^])([Rr])(?:\^2|²)(?![\w^])")
_R2_NAME_RE: Final = compile_later(r"(?<![^_])(?:r_squared?|coefficient_of_determination)(?![^_])")
# A line that only names a phase, whose metrics the next line prints ("Test Error:", the
# PyTorch Quickstart tutorial's line before " Accuracy: 52.3%, Avg loss: 1.6").
_PHASE_LINE_RE: Final = compile_later(
    r"(?:on\s+)?(?P<phase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)"
    r"(?:\s+(?:set|data|results?|metrics?|scores?|stats|errors?|performance))?\s*:",
    re.IGNORECASE,
)
_SUMMARY_RE: Final = compile_later(rf"\*\s+((?:{_WORD}\s+(?:{_NUM})\s*)+)")
_SPACED_PAIR_RE: Final = compile_later(rf"({_WORD})\s+({_NUM})")
# " – ": river. (?<! ): a dash's blanks are tried from the first of a run only; from each
# blank of a long run, the run was read to its end again (quadratic: 20,000 blanks, 13 s).
_PIECE_SPLIT_RE: Final = compile_later(r"[,;|\t\u2502\[\]]|(?<! ) +[-\u2013] +")
_POSSESSIVE_RE: Final = compile_later(r"'s\b")
_NAME_CLEAN_RE: Final = compile_later(r"[^\w./]+")
# A name's last word said twice, once in the scorer's name: TPOT 1.x's "Best roc_auc_score
# score: 0.99" is best_roc_auc_score.
_DOUBLED_END_RE: Final = compile_later(r"(_[a-z]+)\1$")
_LABEL_RE: Final = compile_later(r"[^\W\d]+(?: [^\W\d]+){0,4}")  # | End of training |
_TWO_CELL_ROW_RE: Final = compile_later(
    rf"(?P<name>{_NAME_WORDS})\s*[|\u2502]\s*(?P<value>{_NUM})", re.IGNORECASE
)
# JAX's "Training a simple neural network" tutorial: "Training set accuracy 0.91" (no colon);
# NGBoost's README example: "Test MSE 3159.07", "Test NLL 5.47".
_PHASE_SET_RE: Final = compile_later(
    r"(?P<phase>train|training|val|valid|validation|test|testing|eval|evaluation|dev)"
    r"(?:\s+set)?\s+"
    rf"(?P<name>[^\W\d]\w*)\s+(?P<num>{_NUM})\s*%?",
    re.IGNORECASE,
)
# clu's LoggingWriter with a collection: "[100] collection=train accuracy=0.9, loss=0.5".
_CLU_COLLECTION_RE: Final = compile_later(r"collection=(?P<name>[\w./-]+)\s+")
# A step header's timing: "Epoch 0 in 3.21 sec" (the JAX tutorial), "Epoch 3 took 12.5s".
_TIMED_HEAD_RE: Final = compile_later(
    r"(?:in|took)\s+[0-9]+(?:\.[0-9]*)?\s*(?:s|secs?|seconds?|ms)\.?", re.IGNORECASE
)
_KERAS_PROGRESS_RE: Final = compile_later(r"([0-9]+)/([0-9]+)\s*(?:\[[=>.]*\]|━)")
# Lightning's RichProgressBar (darts' default when rich is installed), as a run's log keeps it:
# "Epoch 2/2  ━━━━━━━━ 4/4 0:00:01 • 0:00:00 4.00it/s v_num: 0 train_loss: 1.119"
_RICH_EPOCH_RE: Final = compile_later(
    rf"Epoch (?P<epoch>[0-9]+)/[0-9]+\s+[━╸╺╾╼ ]*[0-9]+/[0-9]+\s+\S+ • \S+\s+\S+it/s"
    rf"(?P<values>(?:\s+[\w./-]+: (?:{_NUM}))+)\s*"
)
_RICH_PAIR_RE: Final = compile_later(rf"([\w./-]+): ({_NUM})")
# Lightning's bar shows the logger's version number beside the metrics.
_BAR_NOT_METRICS: Final = frozenset({"v_num"})
_BAR_STARTS: Final = frozenset(" 0123456789")
_BORDERS: Final = ("|", "\u2502")
_GUIDES_RE: Final = compile_later(r"[|\u2502](?:\s+[|\u2502])*")  # "│   │   " of a tree

_PREFIX_STARTS: Final = frozenset("[0123456789DIWECNTFMS=-")
_STEP_STARTS: Final = frozenset("eEsSiI")
_SEPARATOR_RE: Final = compile_later(r"[:=|\t\u2502\[]")
_NUMBER_HINT_RE: Final = compile_later(r"[0-9]|nan|inf", re.IGNORECASE)
_HEAD_STARTS: Final = frozenset("[eEsStTiIvVdDcCgG")  # c: MONAI's "current epoch: 2"
_RELATIVE_TIME_RE: Final = compile_later(r" +([0-9]+) ")
_RICH_SOURCE_RE: Final = compile_later(r"\s{2,}[\w.-]+\.py:[0-9]+$")
# The logger's name after the level: "%(asctime)s %(levelname)s %(name)s: %(message)s",
# "%(asctime)s:%(levelname)s:%(name)s:%(message)s", Flask's "%(levelname)s in %(module)s:";
# never a phase's section ("INFO train: loss 0.3") nor a name with its value ("INFO acc: 0.9").
_LOGGER_NAME: Final = (
    rf"(?:(?:\s+in\s+|(?:\s+|:)(?!(?i:{'|'.join(PHASES)})\s*:))[\w.<>-]+:"
    r"(?!\s*(?:[-+.0-9]|(?i:nan|inf)))\s*)?"
)
_PREFIX_RE: Final = compile_later(
    r"(?:"
    r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|NOTICE|TRACE)(?::[\w.<>-]*)?:\s*"  # INFO:root:
    r"|\[[DIWEC] \d{4}-\d\d-\d\d[ T][\d:.,]+\]\s*"  # [I 2026-01-02 10:00:00,123] (Optuna)
    r"|[DIWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\]\s*"  # I0102 10:00:00.123 1 f.py:1] (absl)
    r"|\[?(?:(?:\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4})[ T][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?"
    r"|\d\d/\d\d \d\d:\d\d:\d\d(?=\s+-))\]?"
    # ^ a timestamp; 12/06/2026 10:00:01 is Hugging Face examples' datefmt, 12/07 12:51:16
    # mmengine's (no year)
    rf"(?:\s*(?:\[(?!(?i:epoch|step|iter)\b)[^\]]*\])+{_LOGGER_NAME})?"  # [__main__][INFO] (Hydra)
    r"(?:\s*\{[\w.-]+:\d+\})?"  # "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s -"
    r"(?:\s*(?:\||-)\s*[\w.<>:-]+(?=\s+(?:\||-)\s+(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b))?"
    # ^ - __main__ - INFO - (the logging cookbook's "%(asctime)s - %(name)s - %(levelname)s")
    r"(?:\s+[\w.<>-]+(?=\s+(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\s))?"
    # ^ "%(asctime)s %(name)s %(levelname)s %(message)s"
    rf"(?:\s*(?:\||-|:)?\s*(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|SUCCESS)\b{_LOGGER_NAME})?"
    r"(?:\s*(?:\||-)\s*[\w.<>:-]+(?=\s+(?:\||-)\s))?"  # - logger.name - / | mod:fn:1 -
    r"\s*(?:\||-|:)?\s*"
    r"|\[(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\]\s*(?:[\w.]+\s*:(?!\s*[-+.0-9])\s*)?"
    # "%(levelname)-8s %(message)s", "%(levelname)s - %(message)s", rich's RichHandler
    r"|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)(?:\s+-)?\s+(?=\S)"
    # a time of day alone before the level: datefmt="%H:%M:%S", rich's "[%X]" or "[%x %X]"
    r"|\[(?:\d\d/\d\d/\d\d )?\d\d:\d\d:\d\d(?:[.,]\d+)?\]\s+"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)?\s+(?=(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\s)"
    # transformers' explicit_format (copied by many training scripts):
    # "[%(levelname)s|%(filename)s:%(lineno)s] %(asctime)s >> %(message)s"
    r"|\[(?:[\w.-]+\|)?(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\|[\w.-]+:\d+\]\s*"
    r"\d{4}-\d\d-\d\d[ T][\d:.,]+\s*>>\s*"
    r"|\[RANK \d+\]\s*"  # accelerate's logger: "[RANK 0] epoch 0: {...}"
    # the LightGBM CLI's evaluations: "[LightGBM] [Info] Iteration:10, valid_1 auc : 0.82"
    r"|\[LightGBM\] \[Info\] (?=Iteration:\d)"
    # FLAML's logger: "[flaml.automl.logger: 12-07 13:45:54] {3026} INFO - "
    r"|\[[\w.]+: \d\d-\d\d [\d:]+\] \{\d+\} (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) - \s*"
    # time.ctime(): "Mon Dec  7 13:00:00 2026" (pytorch/examples fast_neural_style)
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\s+"
    r"|\[[\w.-]+\]\s+(?=\d{4}-\d\d-\d\d[ T])"  # a program's name, then the time: "[titan] 2025-"
    # a worker's pid, then a tab, before a step head (pytorch/examples mnist_hogwild's
    # "{pid}\tTrain Epoch: 1 [0/60000 (0%)]\tLoss: 2.3")
    r"|\d+\t(?=(?i:(?:train|training|val|valid|test|eval)\s+)?(?i:epoch|step|iter)\b)"
    r"|(?:={2,}|-{2,})>\s*"  # an arrow marker: "====> Epoch: 1 Average loss" (vae)
    r"|-- (?=Epoch [0-9])"  # "-- Epoch 3" (scikit-learn's SGD models, verbose)
    r")"
)


def has_metric_word(name: str) -> bool:
    """Whether a word of ``name`` (cut at ``_``, blanks, punctuation, digits) is a metric's."""
    words = [word.lower() for word in _NAME_WORD_SPLIT_RE.split(name)]
    if "ratio" in words:  # ElasticNet's and lifelines' l1_ratio is a setting, no L1 loss
        words = [word for word in words if word not in ("l1", "l2")]
    if "time" in words:  # "time cost: 12.3s" is how long a step took, not a cost function
        words = [word for word in words if word != "cost"]
    # "mAP" is one word, not m and AP; "fid50k" is fid at 50k samples.
    first = words[0] if words else ""
    letters = next((at for at, char in enumerate(first) if not char.isalpha()), len(first))
    if "log" in words or "variance" in words or "squared" in words:
        joined = " ".join(words)
        if any(phrase in joined for phrase in METRIC_PHRASES):
            return True
    words += [name.lower(), first[:letters]]
    return any(word.rstrip("0123456789") in METRIC_WORDS or word in METRIC_WORDS for word in words)


def strip_logging_prefix(text: str) -> str:
    """``text`` without the logging prefixes it starts with (at most three), and without
    the ``file.py:42`` that rich's handler and ``console.log`` right-align after a message."""
    if text[:1] not in _PREFIX_STARTS:
        return text
    for _ in range(3):
        match = _PREFIX_RE.match(text)
        if match is None or match.end() == 0:
            break
        text = text[match.end() :]
    if text[-1:].isdigit() and ".py:" in text[-40:]:
        source = _RICH_SOURCE_RE.search(text)
        if source is not None:
            return text[: source.start()]
    return text


def relative_time_prefix(text: str) -> tuple[int, int] | None:
    """``(milliseconds, where the message starts)`` of a line behind logging's
    ``"%(relativeCreated) 9d %(message)s"`` (Pyro's examples), else None. The prefix alone
    is no proof: a table's first column looks the same, so the collector learns it from a
    stream's message lines first (:meth:`MetricsCollector._without_relative_time`)."""
    if text[:1] != " " or not (text[8:9].isdigit() or text[9:10].isdigit()):
        return None
    match = _RELATIVE_TIME_RE.match(text)
    if match is None:
        return None
    width, digits = match.end(1), len(match[1])
    if width != max(9, digits + 1):  # "% 9d": nine columns, one blank at least
        return None
    return int(match[1]), match.end()


def parse_shaped_line(text: str) -> Shaped | None:
    """The step and metrics of a line in one of the known shapes, or None for prose."""
    shaped = _parse_shaped(text)
    if shaped is None:
        shaped = _sentence_result(text)
    if shaped is None and ("^2" in text or "²" in text):  # "R^2 = 0.81", "R²: 0.81": r2
        text = _R2_SIGN_RE.sub(r"\g<1>2", text)
        shaped = _parse_shaped(text) or _sentence_result(text)
    if shaped is None or shaped.step is not None or shaped.within is not None:
        return shaped
    counter = None
    if text[-1:] == "]":
        counter = _TRAILING_COUNTER_RE.fullmatch(text)
    elif text[:1].isdigit():
        counter = _LEADING_COUNTER_RE.match(text)
    if counter is not None and int(counter[1]) <= int(counter[2]):
        return shaped._replace(counter=(int(counter[1]), int(counter[2])))
    return shaped


def _sentence_result(text: str) -> Shaped | None:
    """A result named as a sentence names it (:func:`_named_result`), or one whose value has
    thousands separators (:func:`_grouped_result`); only where no other reading is, so that
    names stay as they were."""
    named = None
    if ": " in text and any(map(text.__contains__, _NAMED_RESULT_HINTS)):
        named = _named_result(text)
    elif (text[-1:].isdigit() or text[-1:] in "%.") and _ends_in_is_number(text):
        named = _named_result(text)  # "Model accuracy is 95.2%"
    if named is None and "," in text and text[-1:].isdigit():
        return _grouped_result(text)
    return named


def _ends_in_is_number(text: str) -> bool:
    """Whether ``text`` ends in ``is NUMBER`` (``was``, ``is:``; a ``%`` or ``.`` after it):
    a few string operations, where a sentence's pattern would be tried on every line of
    prose that ends in a number."""
    words = text.rstrip("%. ").rsplit(None, 2)
    return len(words) == 3 and words[1].rstrip(":") in _SENTENCE_WORDS


def phase_line(text: str) -> str | None:
    """The phase that a line naming only a phase (``Test Error:``) gives the metrics of the
    line after it, else None."""
    if text[:1] not in _HEAD_STARTS and text[:1] not in "tToO":  # PyOD's "On Test Data:"
        return None
    match = _PHASE_LINE_RE.fullmatch(text)
    return None if match is None else PHASES[match["phase"].lower()]


def with_phase(values: Mapping[str, float], phase: str) -> dict[str, float]:
    """``values`` under ``phase``'s names (``accuracy`` -> ``test_accuracy``); a name that
    already names a phase (``train_loss``) keeps it."""
    return {_prefixed(name, phase): value for name, value in values.items()}


def _parse_shaped(text: str) -> Shaped | None:
    if text[:1] == "*":
        return _summary_line(text)
    if text[:2] == "- " and _has_digit_at_end(text):
        bullet = _bullet_result(text[2:].strip())
        if bullet is not None:
            return bullet
    if "\t" in text:
        if text[:1] == "[" and "+" in text:
            cv_round = _CV_ROUND_RE.fullmatch(text)
            if cv_round is not None:
                return _cv_round(cv_round)
        elif text[:1].isdigit() and text.endswith(_CATBOOST_ENDS):
            catboost = _CATBOOST_RE.fullmatch(text)
            if catboost is not None:
                values = {
                    name: _number(raw)
                    for name, raw in _CATBOOST_PAIR_RE.findall(catboost["values"])
                }
                return Shaped(int(catboost["step"]), values)
    if text[:10] == "Features: ":
        selected = _FEATURE_SELECTION_RE.fullmatch(text)
        if selected is not None:
            return Shaped(int(selected["count"]), {"score": _number(selected["score"])})
    if text[5:6] == "(" or text[4:5] == "(":
        logged = _mmengine_line(text)
        if logged is not None:
            return logged
    if "(epoch: " in text[:32]:
        losses = _cyclegan_losses(text)
        if losses is not None:
            return losses
    if "| (" in text:
        suffix = _PROGRESS_SUFFIX_RE.fullmatch(text)
        if suffix is not None:
            return _read_pieces(suffix["rest"], {}, "", False, False)
    if text[:16] == "Saving dict for ":
        evaluated = _estimator_evaluation(text)
        if evaluated is not None:
            return evaluated
    if text[:8] == "Epoch: [":
        logged = _metric_logger_line(text)
        if logged is not None:
            return logged
    if text[:6] == "Epoch " and "it/s" in text:
        rich = _RICH_EPOCH_RE.fullmatch(text)
        if rich is not None:
            pairs = _RICH_PAIR_RE.findall(rich["values"])
            values = {name: _number(raw) for name, raw in pairs if name not in _BAR_NOT_METRICS}
            return Shaped(int(rich["epoch"]), values) if values else None
    if "step:" in text[:20] and "  " in text:
        items = _spaced_items_line(text)
        if items is not None:
            return items
    if " images" in text or " for class" in text or text[:12].lower() == "accuracy of ":
        tutorial = _tutorial_accuracy(text)
        if tutorial is not None:
            return tutorial
    if text[:4] == "Best" and " using " in text:
        grid = _BEST_USING_RE.fullmatch(text)
        if grid is not None:
            name = _clean_name(f"best {grid['what'] or 'score'}")
            return Shaped(None, {name: _number(grid["num"])})
    if text[:1] == "[" and "] " in text[:16]:
        pair = _EPOCH_BATCH_PAIR_RE.match(text)
        if pair is not None:  # the CIFAR-10 tutorial's "[1,  2000] loss: 2.191"
            counters: dict[str, Number] = {"epoch": int(pair["epoch"]), "step": int(pair["batch"])}
            return _read_pieces(text[pair.end() :], counters, "", True, False)
    if text[:1] == "[" and " leaves" in text:
        trees = _TREES_ROUND_RE.fullmatch(text)
        if trees is not None:
            values = {
                f"{phase}_{name}": _number(raw)
                for phase, name, raw in _TREES_PAIR_RE.findall(trees["values"])
            }
            return Shaped(int(trees["step"]), values)
    if text[:3] == "at " and "best error=" in text:
        flaml = _FLAML_ITERATION_RE.fullmatch(text)
        if flaml is not None:
            return Shaped(None, {"best_error": _number(flaml["best"])})
    if text[:16] == "train completed,":
        completed = _MONAI_COMPLETED_RE.fullmatch(text)
        if completed is not None:
            return Shaped(None, {"best_metric": _number(completed["best"])})
    if text[:23] == "Number of divergences: ":
        divergences = _DIVERGENCES_RE.fullmatch(text)
        if divergences is not None:
            return Shaped(None, {"divergences": int(divergences["n"])})
    if text[-4:] == "+nan" or text[-9:-8] == ".":
        em = _EM_ITERATION_RE.fullmatch(text)
        if em is not None:
            return Shaped(int(em["iter"]), {"log_likelihood": _number(em["v"])})
    if text[1:2] == "@" and "\t" in text:
        at_k = _AT_K_RE.fullmatch(text)
        if at_k is not None:
            name = _AT_K_NAMES[at_k["what"]]
            return Shaped(None, {f"{name}_at_{at_k['k']}": _number(at_k["v"])})
    if text[:10] == "Progress: " and "avg.loss:" in text:
        progress = _FASTTEXT_PROGRESS_RE.fullmatch(text)
        if progress is not None:
            return Shaped(None, {"avg_loss": _number(progress["loss"])})
    if " precision @ rank n:" in text:
        pyod = _PYOD_EVALUATION_RE.fullmatch(text)
        if pyod is not None:
            values = {"roc": _number(pyod["roc"]), "precision_at_rank_n": _number(pyod["prn"])}
            return Shaped(None, values)
    if text[:15] == "average loss = " and text[-2:] == " h":
        held_out = _HELD_OUT_LOSS_RE.fullmatch(text)
        if held_out is not None:
            return Shaped(None, {"average_loss": _number(held_out["v"])})
    if text[:4] == "x^*=" or text[:11] == "Best value:":
        best = _BEST_VALUE_RE.fullmatch(text)
        if best is not None:
            return Shaped(None, {"best_value": _number(best["v"])})
    if text[:3] in ("Fun", "Cur"):
        function_value = _FUNCTION_VALUE_RE.fullmatch(text)
        if function_value is not None:
            name = _FUNCTION_VALUE_NAMES[function_value["name"]]
            return Shaped(None, {name: _number(function_value["v"])})
    if text[:6] == "Norm: ":
        sgd = _SGD_EPOCH_RE.fullmatch(text)
        if sgd is not None:
            values = {"avg_loss": _number(sgd["loss"])}
            if sgd["objective"] is not None:
                values["objective"] = _number(sgd["objective"])
            return Shaped(None, values)
    if text[:2] == "Ep" or text[:5] == "Eval ":
        evaluation = _sb3_evaluation(text)
        if evaluation is not None:
            return evaluation
    without_spread = text
    if "±" in text or "+/-" in text:
        without_spread = _SPREAD_RE.sub("", text)
    elif "%)" in text and "% (" in text:  # "Accuracy: 86.80% (3.20%)": cross_val_score's std
        without_spread = _PERCENT_SPREAD_RE.sub("", text)
    elif " with a standard deviation of " in text:
        spread = _MEAN_WITH_STD_RE.fullmatch(text)
        if spread is not None and has_metric_word(spread["name"]):
            name = _mean_name(_clean_name(spread["name"]))
            return Shaped(None, {name: _number(spread["mean"])})
    if without_spread != text:
        labelled = _LABEL_AFTER_SPREAD_RE.fullmatch(without_spread)
        if labelled is not None:
            shaped = _as_means(_parse_pieces_line(labelled["rest"]))
            label = _clean_name(labelled["label"])
            if shaped is not None and shaped.step is None and label:
                return shaped._replace(
                    values={f"{label}_{name}": value for name, value in shaped.values.items()}
                )
        return _as_means(_parse_pieces_line(without_spread))
    if text[:1] in "-(":
        phased = _PARENTHESIZED_PHASE_RE.match(text)
        if phased is not None:
            return _phase_pieces(text[phased.end() :], PHASES[phased["phase"].lower()])
    return _parse_pieces_line(text)


def _phase_pieces(text: str, phase: str) -> Shaped | None:
    """The metrics after a phase in parentheses (attention-is-all-you-need-pytorch's
    ``  - (Validation) ppl:  10.12345, accuracy: 50.123 %, lr:  0.00001, elapse: 0.045
    min``), the measured ones under the phase's names (``val_ppl``); ``lr`` stays."""
    shaped = _parse_pieces_line(text)
    if shaped is None or shaped.step is not None:
        return shaped
    values = {
        (_prefixed(name, phase) if has_metric_word(name) else name): value
        for name, value in shaped.values.items()
    }
    return shaped._replace(values=values)


def is_progress_suffix(text: str) -> bool:
    """Whether ``text`` (as shown) is bearpaw/pytorch-classification's progress bar."""
    return _PROGRESS_SUFFIX_RE.fullmatch(text.strip()) is not None


def _estimator_evaluation(text: str) -> Shaped | None:
    """TensorFlow's Estimator after each evaluation (google-research/bert's run_classifier,
    tensorflow/models): ``Saving dict for global step 1000: eval_accuracy = 0.84, eval_loss
    = 0.41, global_step = 1000, loss = 0.41``. At that step, the metrics as named; its
    ``loss`` is the evaluation's (``eval_loss``, unless the metrics name one), never a
    point of the training loss's series (``loss = 0.54, step = 100 (12.3 sec)``)."""
    match = _SAVING_DICT_RE.fullmatch(text)
    if match is None:
        return None
    shaped = _read_pieces(match["rest"], {"step": int(match["step"])}, "", True, False)
    if shaped is None:
        return None
    values: Fields = {}
    for name, value in shaped.values.items():
        values.setdefault("eval_loss" if name == "loss" else name, value)
    return shaped._replace(values=values)


def _cyclegan_losses(text: str) -> Shaped | None:
    """pytorch-CycleGAN-and-pix2pix's ``print_current_losses`` (copied by many GAN and
    image-to-image repositories): ``(epoch: 3, iters: 200, time: 0.123, data: 0.004) G_GAN:
    0.823 G_L1: 12.345 D_real: 0.512 D_fake: 0.431``. Its losses at the epoch's ``iters``
    (a count of images that restarts every epoch); the time per image and the data
    loading's are no metrics."""
    match = _CYCLEGAN_RE.fullmatch(text)
    if match is None:
        return None
    epoch, iters = int(match["epoch"]), int(match["iters"])
    values: Fields = {
        _clean_name(name): _number(raw) for name, raw in _CYCLEGAN_PAIR_RE.findall(match["losses"])
    }
    values["epoch"] = epoch
    return Shaped(iters, values, counted=(epoch, iters, 0))


def _as_means(shaped: Shaped | None) -> Shaped | None:
    """A result printed with its spread (``Accuracy: 0.96 (+/- 0.02)``) is a mean over folds
    or seeds, not the hold-out value a program prints under the same name: it is recorded
    apart, as ``accuracy_mean``. A stepped line's (``epoch 3: reward 200 ± 15``) keeps its
    names: its series is the mean's already."""
    if shaped is None or shaped.step is not None:
        return shaped
    return shaped._replace(
        values={_mean_name(name): value for name, value in shaped.values.items()}
    )


def _mean_name(name: str) -> str:
    """``name`` said to be a mean, unless it says so already (``cv_score``, ``mean_accuracy``,
    ``cross_validation_accuracy``)."""
    if _MEAN_WORDS.isdisjoint(_NAME_WORD_SPLIT_RE.split(name.lower())):
        return f"{name}_mean"
    return name


def _parse_pieces_line(text: str) -> Shaped | None:
    if text[:8] == "| epoch " and " / " in text:  # old fairseq's "| epoch 001:   100 / 1000 ..."
        inner = _HEAD_RE.match(text, 2)
        if inner is not None and inner["sdone"] is not None:
            text = text[2:]
    starts_a_head = text[:1] in _HEAD_STARTS
    if starts_a_head and (" set " in text or text.count(" ") == 2):
        phase_set = _PHASE_SET_RE.fullmatch(text)
        if phase_set is not None:
            return _phase_set(phase_set)
    if not starts_a_head and "," not in text and _SEPARATOR_RE.search(text) is None:
        return None  # no step head, no ":", "=", "|", tab, ",": prose ("Loading shard 3 of 12")
    head = _HEAD_RE.match(text) if starts_a_head else None
    steps: dict[str, Number] = {}
    totals: dict[str, int] = {}
    phase = batch_phase = ""
    has_step = False
    rest = text
    within = None
    if head is not None and head.end() > 0:
        rest = text[head.end() :]
        section = head["section"]
        if section is not None and rest[:1] in _HEAD_STARTS:  # "Training Results - Epoch: 1"
            inner = _HEAD_RE.match(rest)
            if inner is not None and (inner["word"] or inner["bword"]) and not inner["section"]:
                head, rest = inner, rest[inner.end() :]
        has_step = _read_head(head, steps)
        of = head["of"] or head["bof"]
        if has_step and of is not None:
            totals[_step_name(head["bword"] or head["word"] or "step")] = int(of)
        if head["done"] is not None:
            within = (int(head["done"]), int(head["total"]))
        elif head["sdone"] is not None:
            within = (int(head["sdone"]), int(head["stotal"]))
        elif head["rdone"] is not None:
            within = (int(head["rdone"]), int(head["rtotal"]))
        elif head["gdone"] is not None:
            return _dcgan_rest(rest, steps["epoch"], (int(head["gdone"]), int(head["gtotal"])))
        elif head["pdone"] is not None:
            within = _counted(int(head["pdone"]), int(head["ptotal"]), head["ppct"])
            batch_phase = PHASES.get(head["bphase"].lower(), "")
        phase = PHASES.get(
            (head["phase"] or head["sqphase"] or head["section"] or section or "").lower(), ""
        )
    if rest[:11] == "collection=" and head is not None and head["bracket"] is not None:
        collection = _CLU_COLLECTION_RE.match(rest)
        if collection is not None:  # clu's LoggingWriter(collection="train"): its phase
            phase = PHASES.get(collection["name"].lower(), phase)
            rest = rest[collection.end() :]
    table = _is_table_row(text)
    if table and head is None:
        rest = text.strip("|\u2502 ")
        row = _TWO_CELL_ROW_RE.fullmatch(rest)
        if row is not None:  # | test_acc | 0.96 | (Lightning's results table)
            return _two_cell_row(row)
    # A tree's guide line (rich's config tree: "│       lr: 0.001") is no table row: prose
    # unless its pieces are trusted on their own.
    shaped = _read_pieces(rest, steps, phase, has_step, table, within, totals)
    if shaped is not None and not _OUTER_LOOPS.isdisjoint(shaped.values):
        kept = {k: v for k, v in shaped.values.items() if k not in _OUTER_LOOPS}
        shaped = shaped._replace(values=kept) if kept else None
    if shaped is not None and head is None and text.split(" ", 1)[0].lower() in PHASES:
        return shaped._replace(values=_led_by_phase(shaped.values))  # "train Loss: 0.56 ..."
    if shaped is None or not batch_phase:
        return shaped
    # Only the names of what is measured take the phase: timm's "LR:" stays "lr", as its
    # summary.csv names it, "Loss:" is "train_loss".
    values = {
        (_prefixed(name, batch_phase) if has_metric_word(name) else name): value
        for name, value in shaped.values.items()
    }
    return shaped._replace(values=values)


# Which restart, trial, fold or seed a line is of, before its step: no metric. kmodes'
# KModes(n_init=2, verbose=1): "Run 1, iteration: 1/100, moves: 36, cost: 1241.0".
_OUTER_LOOPS: Final = frozenset(
    spelled
    for word in ("run", "trial", "fold", "seed", "restart", "repeat")
    for spelled in (word, word.capitalize(), word.upper())
)


# fastText's test results, as "fasttext test model.bin valid.txt" and its tutorial's
# print_results print them: "N\t3000", "P@1\t0.124", "R@1\t0.0541" (precision and recall at k).
_AT_K_RE: Final = compile_later(rf"(?P<what>[PR])@(?P<k>[0-9]+)\t(?P<v>{_NUM})")
_AT_K_NAMES: Final = {"P": "precision", "R": "recall"}
# fastText's training progress, redrawn, its last state kept: the average loss; not the
# words/sec/thread, the learning rate it decays nor the ETA.
_FASTTEXT_PROGRESS_RE: Final = compile_later(
    rf"Progress:\s*(?:{_NUM})%\s+words/sec/thread:\s*[0-9]+\s+lr:\s*(?:{_NUM})\s+"
    rf"avg\.loss:\s*(?P<loss>{_NUM})\s+ETA:.*"
)
# hmmlearn's ConvergenceMonitor (an HMM fit with verbose=True), on stderr: the iteration, the
# log-likelihood and its change, "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}" (the first
# change is +nan).
_EM_ITERATION_RE: Final = compile_later(
    r"(?P<iter>[0-9]+) +(?P<v>-?[0-9]+\.[0-9]{8}) +[+-](?:[0-9]+\.[0-9]{8}|nan|inf)"
)
# PyOD's evaluate_print(clf_name, y, scores), after "On Training Data:" / "On Test Data:"
# (every example of PyOD's): the ROC AUC and the precision at rank n, the detector named first.
_PYOD_EVALUATION_RE: Final = compile_later(
    rf"[\w.()-]+ ROC:(?P<roc>{_NUM}), precision @ rank n:(?P<prn>{_NUM})"
)
# Vowpal Wabbit's closing summary after more than one pass: the loss on the examples held out,
# marked by the " h" its progress table's rows also end in ("average loss = 0.249466 h").
_HELD_OUT_LOSS_RE: Final = compile_later(rf"average loss = (?P<v>{_NUM}) h")
# GridSearchCV's best as machinelearningmastery prints it:
# print("Best: %f using %s" % (grid_result.best_score_, grid_result.best_params_))
_BEST_USING_RE: Final = compile_later(
    rf"Best(?:\s+(?P<what>[\w-]+(?:\s+[\w-]+){{0,2}}))?\s*:\s*(?P<num>{_NUM})\s+using\s+\{{.*\}}\s*"
)
# "[EPOCH, BATCH]" before the pieces: the PyTorch CIFAR-10 tutorial's running loss
# ("[1,  2000] loss: 2.191"), its batch counter restarting every epoch.
_EPOCH_BATCH_PAIR_RE: Final = compile_later(r"\[\s*(?P<epoch>[0-9]+),\s+(?P<batch>[0-9]+)\]\s+")


# The PyTorch tutorials' closing sentences (CIFAR-10 classifier, yunjey's pytorch-tutorial):
# "Accuracy of the network on the 10000 test images: 54 %", and one per class,
# "Accuracy for class: plane is 59.9 %".
_ON_IMAGES_RE: Final = compile_later(
    rf"(?i:(?P<phase>test |validation )?accuracy of the (?:network|model) on the (?:[0-9,]+ )?"
    rf"(?P<set>test |validation |train |training )?images)\s*:\s*(?P<v>{_NUM})\s*%?\s*"
)
_CLASS_ACCURACY_RE: Final = compile_later(
    rf"(?i:accuracy for class)\s*:?\s*(?P<label>[\w-]+)\s+is\s+(?P<v>{_NUM})\s*%?\s*"
    # the tutorial's older "Accuracy of %5s : %2d %%": a label right-aligned in five columns
    rf"|(?i:accuracy of)\s+(?P<of>[\w-]+)\s*:\s*(?P<ofv>{_NUM})\s*%\s*"
)


def _tutorial_accuracy(text: str) -> Shaped | None:
    on_images = _ON_IMAGES_RE.fullmatch(text)
    if on_images is not None:
        said = (on_images["phase"] or on_images["set"] or "").strip().lower()
        phase = PHASES.get(said, "")
        return Shaped(None, {_prefixed("accuracy", phase): _number(on_images["v"])})
    per_class = _CLASS_ACCURACY_RE.fullmatch(text)
    if per_class is not None:
        label, value = per_class["label"] or per_class["of"], per_class["v"] or per_class["ofv"]
        return Shaped(None, {f"accuracy_{label}": _number(value)})
    return None


def _dcgan_rest(rest: str, epoch: Number, within: tuple[int, int]) -> Shaped | None:
    """What follows DCGAN's ``[0/25][100/782]`` (pytorch/examples dcgan, the PyTorch DCGAN
    tutorial and their many copies): ``Loss_D: 1.38 Loss_G: 0.89 D(x): 0.51 D(G(z)): 0.49 /
    0.42``, blanks or tabs apart. Names may hold parentheses (``D(x)`` -> ``d_x``); a value
    followed by ``/ another`` (D(G(z)) before and after the generator's update) is two,
    numbered as these programs name them (``D_G_z1``, ``D_G_z2``): ``d_g_z1``, ``d_g_z2``."""
    if _CALL_PAIRS_RE.fullmatch(rest) is None:
        return None
    values: Fields = {}
    names: list[str] = []
    for match in _CALL_PAIR_RE.finditer(rest):
        names.append(match["name"])
        name = _clean_name(match["name"])
        if match["more"] is None:
            values[name] = _number(match["num"])
        else:
            values[f"{name}1"], values[f"{name}2"] = _number(match["num"]), _number(match["more"])
    if not values or not any(has_metric_word(name) for name in names):
        return None
    return Shaped(epoch, values, within)


def _counted(done: int, total: int, percent: str | None) -> tuple[int, int]:
    """A counter that counts from 0 (timm's ``[   0/4 ( 25%)]``, its percent counting the batch
    just done) is the batches done once its percent says so."""
    if percent is not None and total > 0:
        shown = float(percent)
        if abs(100 * (done + 1) / total - shown) < abs(100 * done / total - shown):
            return done + 1, total
    return done, total


_CATBOOST_ENDS: Final = ("s", "us", "ms", "m", "h", "d")


def _cv_round(match: re.Match[str]) -> Shaped:
    """A cross-validation round: each metric's mean under the name its ``train`` line gives
    it (``test-auc`` -> ``test_auc``, ``cv_agg's valid l2`` -> ``cv_agg_valid_l2``), its
    standard deviation as ``<name>_std``."""
    values: Fields = {}
    for name, mean, std in _CV_PAIR_RE.findall(match["values"]):
        clean = _clean_name(name)
        values[clean] = _number(mean)
        values[f"{clean}_std"] = _number(std)
    return Shaped(int(match["step"]), values)


def _mmengine_line(text: str) -> Shaped | None:
    """A line of mmengine's LogProcessor, under the names mmengine gives the values in its own
    scalars.json: training's at its epoch (how far into it) or iteration, an evaluation's
    metrics at its epoch, or after the step before it when it names none (``Iter(val)``,
    ``Epoch(test)``)."""
    head = _MMENGINE_HEAD_RE.match(text)
    if head is None:
        return None
    evaluation = head["mode"] != "train"
    values = _logged_items(text, head.end(), _MMENGINE_EVAL_TIMES if evaluation else frozenset())
    if not values:
        return None  # an evaluation's progress: its timings only
    done, total = int(head["done"]), int(head["total"])
    if head["epoch"] is not None:
        epoch = int(head["epoch"])
        return Shaped(epoch, values) if evaluation else Shaped(epoch, values, (done, total))
    if head["unit"] == "Iter" and not evaluation:
        return Shaped(done, values)
    return Shaped(None, values)


def _logged_items(text: str, position: int, left_out: frozenset[str] = frozenset()) -> Fields:
    """The ``name: value`` items from ``position`` to the end of ``text``, two spaces apart
    (:data:`_LOGGED_ITEM_RE`), but those ``left_out`` names; none when one is not an item."""
    values: Fields = {}
    rest = text.rstrip()
    while position < len(rest):
        item = _LOGGED_ITEM_RE.match(rest, position)
        if item is None:
            return {}
        position = item.end()
        name = item["name"]
        if name is not None and name not in left_out:
            values[_clean_name(name)] = _number(item["value"])
    return values


def _metric_logger_line(text: str) -> Shaped | None:
    """A training batch's line of MetricLogger (:data:`_METRIC_LOGGER_HEAD_RE`): at its epoch,
    how far into it; each value the batch's (the running average after it is cut, as
    AverageMeter's is), its ``time`` and ``data`` named as AverageMeter's are."""
    head = _METRIC_LOGGER_HEAD_RE.match(text)
    if head is None:
        return None
    values = _logged_items(text, head.end())
    if not values:
        return None
    values = {_METER_TIMES.get(name, name): value for name, value in values.items()}
    return Shaped(int(head["epoch"]), values, (int(head["done"]), int(head["total"])))


def _spaced_items_line(text: str) -> Shaped | None:
    """``step: 10  loss: 8.2  memory: 0.5GiB(1.2%)  tps: 1,234  mfu: N/A`` (torchtitan): every
    item ``name: value`` two spaces from the next; a unit joins the name (``memory_gib``), a
    value not measured (``N/A``) is left out."""
    head = _SPACED_ITEMS_HEAD_RE.match(text)
    if head is None:
        return None
    phase = _SPACED_ITEM_PHASES.get((head["phase"] or "").lower(), "")
    values: Fields = {}
    rest = text.rstrip()
    position = head.end()
    while position < len(rest):
        pair = _SPACED_ITEM_RE.match(rest, position)
        if pair is None:
            return None
        position = pair.end()
        if pair["value"] is None:
            continue
        name = _clean_name(pair["name"])
        if pair["unit"]:
            name = f"{name}_{pair['unit'].lower()}"
        values[_prefixed(name, phase)] = _number(pair["value"].replace(",", ""))
    if not any(has_metric_word(name) for name in values):
        return None
    return Shaped(int(head["n"]), values)


def _sb3_evaluation(text: str) -> Shaped | None:
    """Stable-Baselines3's EvalCallback (rl-baselines3-zoo): ``Eval num_timesteps=1000,
    episode_reward=24.50 +/- 2.50`` then ``Episode length: 24.50 +/- 2.50``, mean and
    standard deviation, under the names its logger table gives the means (``eval/``)."""
    match = _SB3_EVAL_RE.fullmatch(text)
    if match is None:
        return None
    mean, std = _number(match["mean"]), _number(match["std"])
    if match["step"] is not None:
        return Shaped(int(match["step"]), {"eval/mean_reward": mean, "eval/std_reward": std})
    return Shaped(None, {"eval/mean_ep_length": mean, "eval/std_ep_length": std})


def _summary_line(text: str) -> Shaped | None:
    """`` * Acc@1 76.130 Acc@5 92.862``: ProgressMeter's ``display_summary`` (pytorch/examples
    imagenet, and the many programs that copy its AverageMeter), printed at the end of
    ``validate()``: the validation averages, so the names are ``val_`` ones."""
    match = _SUMMARY_RE.fullmatch(text)
    if match is None:
        return None
    pairs = _SPACED_PAIR_RE.findall(match[1])
    if not any(has_metric_word(name) for name, _ in pairs):
        return None
    return Shaped(None, {_prefixed(_clean_name(name), "val"): _number(raw) for name, raw in pairs})


def _is_table_row(text: str) -> bool:
    """``| a | 1 |`` or ``| End of training | loss 5.4``: a border opens the line and another
    one closes it or parts its cells. Guides alone (``│   │   lr: 0.001``, a tree) are not."""
    if text[:1] not in _BORDERS:
        return False
    if text[-1:] in _BORDERS:
        return True
    guides = _GUIDES_RE.match(text)
    cells = text[guides.end() :] if guides is not None else text
    return "|" in cells or "\u2502" in cells


def _step_after(piece: str) -> tuple[str, int, str] | None:
    """The step name and number a piece gives after its value (``Loss: 0.000996 after 150
    batches``) or after its name (``Loss after epoch 0: 648.56``), and the piece without it."""
    after = _AFTER_STEP_RE.fullmatch(piece)
    if after is not None:
        unit, number = after["unit"] or after["word"], after["n"] or after["wn"]
        rest = after["piece"]
    else:
        after = _NAME_AFTER_STEP_RE.fullmatch(piece)
        if after is None:
            return None
        unit, number, rest = after["word"], after["wn"], after["name"] + after["rest"]
    return _AFTER_UNITS.get(unit.lower().rstrip("s"), "step"), int(number), rest


def header_step(text: str) -> Number | None:
    """The step of a line that is only a step header (``Epoch 2/10``, ``[epoch 3]``), else None.

    Keras prints ``Epoch 2/10`` on a line of its own, then the epoch's metrics without a step.
    """
    if text[:1] not in _HEAD_STARTS:
        return None
    if text[:8] == "Epoch: [" and " | " in text:  # bearpaw/pytorch-classification's
        numbered = _EPOCH_OF_RE.fullmatch(text)
        return None if numbered is None else int(numbered["n"])
    if text[:13] == "Iteration No:":
        iteration = _ITERATION_NO_RE.fullmatch(text)
        return None if iteration is None else int(iteration["n"])
    head = _HEAD_RE.match(text)
    if head is None or head["section"] is not None:
        return None
    if head.end() != len(text) and not _TIMED_HEAD_RE.fullmatch(text, head.end()):
        return None
    steps: dict[str, Number] = {}
    return _choose_step(steps, {})[0] if _read_head(head, steps) else None


def _phase_set(match: re.Match[str]) -> Shaped | None:
    name = match["name"]
    if not has_metric_word(name):
        return None  # "Test set size 300"
    phase = PHASES[match["phase"].lower()]
    return Shaped(None, {_prefixed(_clean_name(name), phase): _number(match["num"])})


def _two_cell_row(row: re.Match[str]) -> Shaped | None:
    if not has_metric_word(row["name"]):
        return None  # | lr | 0.1 | is a config table
    return Shaped(None, {_clean_name(row["name"]): _number(row["value"])})


def _read_head(head: re.Match[str], steps: dict[str, Number]) -> bool:
    if head["bracket"] is not None:
        steps["step"] = int(head["bracket"].replace(",", ""))
        return True
    if head["gepoch"] is not None:
        steps["epoch"] = int(head["gepoch"])
        return True
    if head["pn"] is not None:
        steps["epoch"] = int(head["pn"])
        return True
    word, number = head["bword"] or head["word"], head["bn"] or head["n"]
    if word is None or number is None:
        return False
    steps[_step_name(word)] = int(number)
    return True


def _step_name(word: str) -> str:
    return STEP_WORDS.get(word.lower(), "epoch")


def _read_pieces(
    rest: str,
    steps: dict[str, Number],
    phase: str,
    has_step: bool,
    table: bool,
    within: tuple[int, int] | None = None,
    totals: dict[str, int] | None = None,
) -> Shaped | None:
    totals = {} if totals is None else totals
    # Keras' own "8/12 ━━━━" (Keras 3) or "120/313 [====>....]" (Keras 2) counter
    bar = _KERAS_PROGRESS_RE.match(rest.lstrip()) if rest[:1] in _BAR_STARTS else None
    if "lapse" in rest:  # StarGAN's "Elapsed [0:00:10], Iteration [10/200000], ..."
        rest = _ELAPSED_RE.sub("", rest)
    if "[" in rest:  # Step [100/600] -> Step 100/600, so that brackets can cut pieces
        rest = _BRACKETED_STEP_RE.sub(r"\1 \2", rest)
    meters = 0  # running averages cut
    if "(" in rest:  # "Loss 0.69 (0.71)": the value, then its running average (cut)
        rest, meters = _RUNNING_AVERAGE_RE.subn("\t", rest)
        if "%" in rest:
            rest = _PERCENT_COUNT_RE.sub("", rest)
    values: Fields = {}
    spaced_only = True  # every metric was "name value": needs a step or a table to count
    names: list[str] = []  # as written, to look for a metric word only when that decides
    keras = bar is not None
    split_step = False  # a step counter cut off a piece: only with a metric's name
    trusted_run = False  # name=number tokens: trusted as they always were
    after_step = False  # a step given as "after 150 batches": only with a metric's name
    for piece in _PIECE_SPLIT_RE.split(rest):
        piece = piece.strip()
        if not piece:
            continue
        after = _step_after(piece) if " after " in piece.lower() else None
        if after is not None:
            steps.setdefault(after[0], after[1])
            has_step = after_step = True
            piece = after[2]
        best = _BEST_AT_RE.fullmatch(piece) if " at " in piece or " in #" in piece else None
        if best is not None and _BEST_WORD_RE.search(best["piece"]):
            piece = best["piece"]
        if _NUMBER_HINT_RE.search(piece) is None:  # no number: a label or noise at most
            if (table and _LABEL_RE.fullmatch(piece)) or _NOISE_RE.fullmatch(piece):
                continue
            subset = _SUBSET_RE.fullmatch(piece) if piece[:9] == "valid on " else None
            if subset is not None and not values:
                phase = _clean_name(subset["subset"])
                continue
            return None
        if piece[-1:] == "s" and piece[:1] in "ST" and _BAR_TIMING_RE.fullmatch(piece):
            continue
        if piece[:8].lower() == "session " and piece[8:].strip().isdigit():
            continue  # faster-rcnn.pytorch's "[session 1][epoch  1][iter  100/3000]": a run's id
        step = _STEP_PIECE_RE.fullmatch(piece) if piece[:1] in _STEP_STARTS else None
        leading = None
        if step is None and piece[:1] in _STEP_STARTS:
            leading = _LEADING_STEP_RE.match(piece)
        if step is not None:
            name = _step_name(step["word"])
            steps.setdefault(name, int(step["n"]))
            if step["of"] is not None:
                totals.setdefault(name, int(step["of"]))
            has_step = True
            continue
        word = "" if leading is None else leading["word"].lower()
        if leading is not None and leading["colon"] is not None and word != "it":
            # "iter_dt 308.55ms; iter 10: train loss 2.1" (minGPT)
            steps.setdefault(_step_name(leading["word"]), int(leading["n"]))
            has_step = True
            piece = piece[leading.end() :]
        elif leading is not None and word != "epoch" and "#" not in piece[: leading.end()]:
            # "iter 100/600 loss 0.3", "Step 100/600 Loss: 0.23": only with a metric's name
            name = _step_name(leading["word"])
            steps.setdefault(name, int(leading["n"]))
            if leading["of"] is not None:
                totals.setdefault(name, int(leading["of"]))
            has_step = True
            piece, split_step = piece[leading.end() :], True
        if bar is not None and piece[:3].upper() == "ETA" and _NOISE_RE.fullmatch(piece):
            continue  # Keras 2's "ETA: 0s", not a metric
        kind = _read_metric_piece(piece, values, phase, names)
        if kind is not None:
            spaced_only = spaced_only and kind == _SPACED
            trusted_run = trusted_run or kind == _EQUALS_RUN
            continue
        counter = _WITHIN_RE.fullmatch(piece)
        if counter is not None:
            done, total = counter["done"] or counter["bdone"], counter["total"] or counter["btotal"]
            within = within or (int(done), int(total))
            continue
        if _NOISE_RE.fullmatch(piece) or (table and _LABEL_RE.fullmatch(piece)):
            keras = keras or _KERAS_PROGRESS_RE.match(piece) is not None
            continue
        if (piece[:1] == "(" or piece[-1:] == ")") and _NOISE_RE.fullmatch(piece.strip("() ")):
            # llm.c's "| (234.56 ms | 12345 tok/s)": timings in parentheses, cut at their "|"
            continue
        return None
    for name in [name for name in values if name.lower() in _STEP_NAMES]:
        has_step = True
        steps.setdefault(_STEP_NAMES[name.lower()], values.pop(name))
    if not values:
        return None
    if (after_step or split_step) and not any(has_metric_word(name) for name in names):
        return None
    # A table's cells are trusted, but not "name number" alone in a box with no metric named:
    # "│ CPU 0 │" is jax.debug.visualize_array_sharding's device box, no metric.
    boxed = table and (not spaced_only or any(has_metric_word(name) for name in names))
    trusted = boxed or keras or trusted_run
    if not (
        trusted
        or _trusted(has_step, spaced_only, names, len(values))
        or (not spaced_only and _split_scores(names, values))
    ):
        return None
    epoch = steps.get("epoch")
    if meters:  # AverageMeter's "Time" and "Data": the batch's time and its loading's
        values = {_METER_TIMES.get(name, name): value for name, value in values.items()}
    chosen, key = _choose_step(steps, values)
    if key == "epoch":
        return Shaped(chosen, values, within)
    if key is None and bar is not None:  # Keras' bar: its counter is the epoch's batches
        return Shaped(None, values, (int(bar[1]), int(bar[2])))
    if key is not None and isinstance(epoch, int) and isinstance(chosen, int):
        return Shaped(chosen, values, counted=(epoch, chosen, totals.get(key, 0)))
    return Shaped(chosen, values)


def _trusted(has_step: bool, spaced_only: bool, names: list[str], count: int) -> bool:
    """Whether pieces that read as metrics are not prose ("Epoch 3 took 12.5s", "Seed: 42")."""
    if has_step and (not spaced_only or count >= 2):
        return True
    if not has_step and spaced_only:
        # "loss 0.469, train acc 0.823, test acc 0.815" (d2l.ai's train_ch6): pieces apart,
        # each named as a metric is; or one, a phase's metric: "val loss 3.4568" (llm.c)
        if count == 1 and len(names) == 1:
            words = names[0].lower().split()
            return len(words) == 2 and words[0] in PHASES and has_metric_word(words[1])
        return count >= 2 and len(names) == count and all(map(has_metric_word, names))
    return any(has_metric_word(name) for name in names)


def _split_scores(names: list[str], values: Fields) -> bool:
    """Whether ``Name: value`` pieces without a step are scores named by their split alone,
    as PyTorch Geometric's examples print them (``Train: 0.8143, Val: 0.7800, Test: 0.7710``,
    ``Final Test: 0.9012``): fractions, not a split's size (``Train: 800``) nor its share of
    the data (``Train: 0.8, Val: 0.1, Test: 0.1``, summing to 1)."""
    if len(names) != len(values) or not all(map(_SPLIT_NAME_RE.fullmatch, names)):
        return False
    numbers = list(values.values())
    if not all(isinstance(number, float) and 0 <= number <= 1 for number in numbers):
        return False
    return len(numbers) == 1 or not math.isclose(sum(numbers), 1.0, abs_tol=1e-6)


_SPACED, _PAIRED, _EQUALS_RUN = "spaced", "paired", "equals"


def _read_metric_piece(piece: str, values: Fields, phase: str, names: list[str]) -> str | None:
    """Adds the piece's metrics and their names; returns the piece's kind, None if no metric.

    Kinds: ``name value`` (spaced), ``name: value`` or one ``name=value`` (paired), several
    ``name=value`` tokens (equals).
    """
    if "/" in piece and piece[:1] in _HEAD_STARTS:
        phases = _PHASES_PAIR_RE.fullmatch(piece)
        if phases is not None and has_metric_word(phases["name"]):
            name = _clean_name(phases["name"])
            for which, raw in (("a", phases["x"]), ("b", phases["y"])):
                values[_prefixed(name, PHASES[phases[which].lower()])] = _number(raw)
            names.append(phases["name"])
            return _PAIRED
    match = _PIECE_RE.fullmatch(piece)
    if match is not None and " " in match["name"] and _NUMBER_WORD_RE.search(match["name"]):
        match = None  # "loss nan acc 0.1": nan is loss's value, not a word of a name
    if match is not None and match["bracketed_pct"] is not None and match["sep"] != ":":
        match = None  # "Saving model (50%)": a progress, not a value
    if match is not None:
        if " " in match["name"] and _is_prose_name(match["name"]):
            return None  # "val_loss improved from inf to 0.12": a sentence, not a name
        name, value = _piece_metric(match, phase)
        values[name] = value
        names.append(match["name"])
        return _PAIRED if match["sep"] else _SPACED
    if "(" in piece:
        qualified = _QUALIFIED_PIECE_RE.fullmatch(piece)
        if qualified is not None:
            return _read_qualified(qualified, values, phase, names)
    if "=" in piece and _EQUALS_RUN_RE.fullmatch(piece):
        for name, raw in _EQUALS_PAIR_RE.findall(piece):
            values[_prefixed(name, phase)] = _number(raw)
        return _EQUALS_RUN
    if ":" in piece and _COLON_RUN_RE.fullmatch(piece):
        pairs = _COLON_PAIR_RE.findall(piece)
        if any(" " in name and _is_prose_name(name) for name, _, _ in pairs):
            return None  # "best at epoch: 3 with loss: 0.2": a sentence
        for name, raw, _ in pairs:
            values[_prefixed(_clean_name(name), phase)] = _number(raw)
            names.append(name)
        return _PAIRED
    if " " in piece and _SPACED_RUN_RE.fullmatch(piece):
        spaced = _SPACED_RUN_PAIR_RE.findall(piece)
        if any(name.lower() in _LINK_WORDS for name, _, _ in spaced) or not any(
            has_metric_word(name) for name, _, _ in spaced
        ):
            return None  # "Epoch 2 worker 3 gpu 0": no metric named
        for name, raw, unit in spaced:
            clean = _clean_name(name)
            if unit and unit != "%" and not clean.endswith("_" + unit):
                clean = f"{clean}_{unit}"
            values[_prefixed(clean, phase)] = _number(raw)
            names.append(name)
        return _SPACED
    return None


# A bullet naming one result (flair's ModelTrainer ends with "Results:" then "- F-score
# (micro) 0.85", "- F-score (macro) 0.8119", "- Accuracy 0.85").
_BULLET_PAIR_RE: Final = compile_later(
    rf"(?P<name>{_WORD}(?: {_WORD}){{0,3}}?)\s*:?\s+(?P<num>{_NUM})(?P<pct>%?)"
)


def _has_digit_at_end(text: str) -> bool:
    return text.rstrip("% ")[-1:].isdigit()


def _bullet_result(item: str) -> Shaped | None:
    """The result a bullet names (``F-score (micro) 0.85``: ``f_score_micro``), or None when
    the bullet names no metric (``0 epochs without improvement``)."""
    values: Fields = {}
    qualified = _QUALIFIED_PIECE_RE.fullmatch(item) if "(" in item else None
    if qualified is not None:
        _read_qualified(qualified, values, "", [])
    else:
        pair = _BULLET_PAIR_RE.fullmatch(item)
        if pair is not None and has_metric_word(pair["name"]) and not _is_prose_name(pair["name"]):
            values[_clean_name(pair["name"])] = _number(pair["num"])
    return Shaped(None, values) if values else None


def _read_qualified(
    match: re.Match[str], values: Fields, phase: str, names: list[str]
) -> str | None:
    """A :data:`_QUALIFIED_PIECE_RE` piece: a phase in parentheses is the metric's phase, an
    abbreviation of a metric its name ("Mean Absolute Error (MAE)"), any other words (an
    average: "micro avg") part of its name."""
    name, qualifier = match["name"], match["qualifier"]
    if not has_metric_word(name) or _is_prose_name(f"{name} {qualifier}"):
        return None
    if qualifier.lower() in PHASES:
        metric = _prefixed(_clean_name(name), PHASES[qualifier.lower()])
    elif " " not in qualifier and has_metric_word(qualifier):
        metric = _clean_name(qualifier)
    else:
        metric = _clean_name(f"{name} {qualifier}")
    values[_prefixed(metric, phase)] = _number(match["num"])
    names.append(name)
    return _PAIRED


def _named_result(text: str) -> Shaped | None:
    """A ``Name: value`` line whose name is a sentence's (:data:`_NAMED_RESULT_RE`): the
    metric under the abbreviation it gives, else its name, in the phase it names."""
    match = _NAMED_RESULT_RE.fullmatch(text)
    if match is None or not any(match.group("inner", "phase", "after", "of", "is")):
        return None
    name, phase = match["name"].replace("^", ""), PHASES.get((match["phase"] or "").lower(), "")
    for inner in (match["inner"], match["after"]):
        if inner is None or inner == "%":
            continue
        if inner.lower() in PHASES:
            phase = PHASES[inner.lower()]
        elif _ABBREVIATION_RE.fullmatch(inner) and has_metric_word(inner.replace("^", "")):
            name = inner.replace("^", "")  # "Coefficient of determination (R^2)": r2
        else:
            return None  # "Score (higher is better)", "Loss (epoch 3)": not a name's part
    if match["is"]:
        name = _sentence_subject(name)
    if _is_prose_name(name) or not has_metric_word(name):
        return None
    return Shaped(None, {_prefixed(_clean_name(name), phase): _number(match["num"])})


def _sentence_subject(name: str) -> str:
    """The metric a sentence's subject names, without the words saying whose or which it is
    (``Model accuracy``, ``Final model loss``, ``Test set accuracy``: ``accuracy``,
    ``loss``, ``Test accuracy``); a phase word stays, as in the metric's name."""
    words = [
        word
        for word in name.split()
        if word.lower().removesuffix("'s") not in _SUBJECT_HOLDER_WORDS  # "The model's"
    ]
    return " ".join(words) if words else name


def _grouped_result(text: str) -> Shaped | None:
    """A ``Name: value`` line whose value has thousands separators (a Kaggle notebook's
    ``print(f"RMSE: {rmse:,.2f}")``, house prices in dollars): the metric, commas dropped."""
    match = _GROUPED_RESULT_RE.fullmatch(text)
    if match is None or _is_prose_name(match["name"]) or not has_metric_word(match["name"]):
        return None
    return Shaped(None, {_clean_name(match["name"]): _number(match["num"].replace(",", ""))})


def _is_prose_name(name: str) -> bool:
    return any(word in PROSE_WORDS for word in name.lower().split())


def _piece_metric(match: re.Match[str], phase: str) -> tuple[str, Number]:
    raw_name = match["name"]
    # loss=0.3, val/acc=0.9 as written; "Loss = 0.345" (Flax's nnx_toy_examples) is prose's
    as_written = (
        match["sep"] == "=" and " " not in raw_name and match.end("name") == match.start("sep")
    )
    name = raw_name if as_written else _clean_name(raw_name)
    if match["pct"] is not None:
        return _prefixed(name, phase), _counted_percent(match)
    if match["bracketed_pct"] is not None:
        return _prefixed(name, phase), _number(match["bracketed_pct"])
    unit = match["unit"]
    if unit and not name.endswith("_" + unit):
        name = f"{name}_{unit}"
    return _prefixed(name, phase), _number(match["num"])


def _counted_percent(match: re.Match[str]) -> Number:
    """``9915/10000 (99%)``: the percentage the count gives, 99.15, where the printed one is
    that rounded (pytorch/examples mnist rounds to a whole percent, which hides the
    difference between two runs); else the printed one as it is."""
    shown = _number(match["pct"])
    done, of = int(match["done"]), int(match["pct_of"])
    if of <= 0:
        return shown
    exact = 100 * done / of
    return round(exact, 4) if abs(exact - shown) <= 0.5 else shown


def _clean_name(name: str) -> str:
    if name.isidentifier() and name.islower():
        return name  # val_loss: already clean
    name = name.replace("@", "")  # Acc@1 -> acc1, as imagenet's code names it
    if ". " in name:  # an abbreviation's dot: "Approx. Train" (PyG's examples) is approx_train
        name = name.replace(". ", " ")
    name = _NAME_CLEAN_RE.sub("_", _POSSESSIVE_RE.sub("", name)).strip("_").lower()
    if "_" in name:
        name = _DOUBLED_END_RE.sub(r"\1", name)
    return _R2_NAME_RE.sub("r2", name) if "r" in name else name


def _led_by_phase(values: Fields) -> Fields:
    """A line whose first name starts with a phase, the only one it names, is that phase's:
    PyTorch's transfer learning tutorial prints ``train Loss: 0.5634 Acc: 0.7008`` and ``val
    Loss: ...``; its ``Acc`` is ``train_acc`` and ``val_acc``, not one series of both."""
    first = next(iter(values)).split("_", 1)[0]
    if first not in PHASES or len(values) < 2:
        return values
    if any(name.split("_", 1)[0] in PHASES and not name.startswith(first) for name in values):
        return values  # "train loss 0.5 val loss 0.6 acc 0.9": whose acc is not told
    led = {
        _prefixed(name, first) if has_metric_word(name) else name: value
        for name, value in values.items()
    }
    return led if len(led) == len(values) else values  # "val loss 0.1, loss 0.2": two


def _prefixed(name: str, phase: str) -> str:
    if not phase or name.startswith(phase) or name.split("_", 1)[0] in PHASES:
        return name
    if name in _RATE_NAMES:  # the optimizer's, one for the run: pytorch-cifar100's "LR:"
        return name
    return f"{phase}_{name}"


def _choose_step(steps: dict[str, Number], values: Fields) -> tuple[Number | None, str | None]:
    """The step (``step`` before ``iteration`` before ``episode`` before ``epoch``) and which
    it is; the others join the values."""
    for key in ("step", "iteration", "episode", "epoch"):
        if key in steps:
            chosen = steps.pop(key)
            for other, number in steps.items():
                values.setdefault(other, number)
            return chosen, key
    return None, None


def _number(raw: str) -> Number:
    if raw.isdigit():
        return int(raw)
    if "." in raw or "e" in raw or "E" in raw or raw[-1:] in "nNfF":
        return float(raw)
    try:
        return int(raw)
    except ValueError:
        return float(raw)


def is_settings_dump(value: Mapping[str, object]) -> bool:
    """Whether a printed dict is settings, not metrics: it holds text, a flag or None
    (``print(vars(args))``: ``{'data': 'names.txt', 'resume': False, 'workers': 4}``) and none
    of its numbers is named as a metric (``{'mode': 'train', 'loss': 0.5}`` is metrics)."""
    if not any(item is None or isinstance(item, (str, bool)) for item in value.values()):
        return False
    return not any(
        has_metric_word(key)
        for key, item in value.items()
        if isinstance(item, (int, float)) and not isinstance(item, bool)
    )


# A scalar as an array library's repr shows it inside a printed dict or list: NumPy 2's
# ``np.float32(0.5)``, JAX's ``Array(0.5, dtype=float32)`` (``DeviceArray`` before JAX 0.4),
# PyTorch's ``tensor(0.5000, device='cuda:0')``. Only a single number: ``Array([1, 2], ...)``
# is no scalar and keeps the dict from being read.
_SCALAR_REPR_RE: Final = compile_later(
    r"\b(?:(?:np|numpy)\.(?:float|int|uint)(?:16|32|64|128)?|(?:Device)?Array|tensor)"
    r"\((?P<num>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-?nan|-?inf)"
    r"(?:,\s*[a-z_]+=(?:'[^']*'|<[^<>]*>|[\w.]+))*\)"
)


def unwrap_scalar_reprs(text: str) -> str:
    """``text`` with each NumPy, JAX or PyTorch scalar's repr replaced by its number:
    ``{'loss': Array(0.5, dtype=float32)}`` is ``{'loss': 0.5}``, ``f"{step=} {loss=}"``'s
    ``step=3 loss=np.float32(0.25)`` is ``step=3 loss=0.25``."""
    if "(" not in text or not any(mark in text for mark in _SCALAR_REPR_MARKS):
        return text
    return _SCALAR_REPR_RE.sub(r"\g<num>", text)


_SCALAR_REPR_MARKS: Final = ("Array(", "np.", "numpy.", "tensor(")


def split_phase(value: Mapping[str, object]) -> str:
    """The phase a printed record names with its ``split`` (DeepMind's Haiku examples print
    ``{"step": 100, "split": "test", "accuracy": "0.912"}``), or ""."""
    split = value.get("split")
    return PHASES.get(split.lower(), "") if isinstance(split, str) else ""


def split_fields(value: Mapping[str, object], phase: str) -> Fields | None:
    """A ``split`` record's numbers, named for its phase (``test_accuracy``): the train and
    test records of one step are two series, not one. A metric formatted as text
    (``f"{accuracy:.3f}"``) is its number."""
    fields: Fields = {}
    for key, item in value.items():
        if not key or key == "split":
            continue
        if isinstance(item, str) and has_metric_word(key) and _TEXT_NUMBER_RE.fullmatch(item):
            item = _number(item)
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            fields[key if key.lower() in _STEP_NAMES else _prefixed(key, phase)] = item
    if not any(has_metric_word(name) for name in fields if name.lower() not in _STEP_NAMES):
        return None  # {'split': 'train', 'size': 600}: no metric named
    return fields


_TEXT_NUMBER_RE: Final = compile_later(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def fairseq_json_fields(value: Mapping[str, object]) -> Fields | None:
    """fairseq's ``--log-format json`` record, or None for any other object: its stats are
    formatted as text (``{"epoch": 1, "update": 0.1, "loss": "9.543", "num_updates": "100"}``;
    at an epoch's end ``{"epoch": 1, "valid_loss": "8.123", "valid_num_updates": "1000"}``),
    read as numbers. The step is ``update`` (the epoch as a fraction, where the text format's
    ``epoch 001:  100 / 1000`` puts its values), else the epoch."""
    epoch = value.get("epoch")
    if next(iter(value), None) != "epoch" or type(epoch) is not int:
        return None
    if "update" not in value and not any(
        key == "num_updates" or key.endswith("_num_updates") for key in value
    ):
        return None
    fields: Fields = {"epoch": epoch}
    update = value.get("update")
    if isinstance(update, (int, float)) and not isinstance(update, bool):
        fields = {"epoch": update}
    for key, item in value.items():
        if key in ("epoch", "update") or not key:
            continue
        if isinstance(item, str) and _TEXT_NUMBER_RE.fullmatch(item) and not _names_a_label(key):
            fields[key] = _number(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            fields[key] = item
    return fields if len(fields) > 1 else None


def text_number_fields(value: Mapping[str, object]) -> Fields | None:
    """A record whose every value is a number written as text, its ``epoch`` or ``step``
    among them: transformers 5's Trainer prints its logs so (``{'loss': '0.2615',
    'learning_rate': '2.5e-05', 'epoch': '0.3333'}``). Its numbers; None for any other."""
    if not ("epoch" in value or "step" in value) or not all(
        isinstance(item, str) and (_TEXT_NUMBER_RE.fullmatch(item) or item in _TEXT_NOT_FINITE)
        for item in value.values()
    ):
        return None
    fields: Fields = {}
    for key, item in value.items():
        if not key or not isinstance(item, str) or _names_a_label(key):
            continue
        fields[key] = float(item) if item in _TEXT_NOT_FINITE else _number(item)
    return fields if any(key.lower() not in _STEP_NAMES for key in fields) else None


_TEXT_NOT_FINITE: Final = frozenset({"nan", "inf", "-inf"})  # as f"{value:.4g}" writes them


# Names of text that looks like a number and is none: an id, a version, a date, a seed.
_LABEL_WORDS: Final = frozenset({"id", "ids", "uuid", "version", "date", "seed", "hash", "sha"})


def _names_a_label(key: str) -> bool:
    return key.lower().rsplit("_", 1)[-1] in _LABEL_WORDS


# A value printed as Python prints a float that is not finite (GluonTS's Evaluator:
# "{'MSE': np.float64(602.9), ..., 'OWA': nan}"): a literal that stands for it.
_BARE_NOT_FINITE_RE: Final = compile_later(r"(?<=:\s)(-?)(nan|inf)(?=\s*[,}])")
_NAN_MARK: Final = "\x00nan"


def _not_finite_literal(match: re.Match[str]) -> str:
    return f"{match[1]}1e999" if match[2] == "inf" else repr(_NAN_MARK)


def python_dict_fields(text: str) -> Fields | None:
    """``{'loss': 0.5, 'epoch': 1.0}`` (a printed Python dict of scalars): its numbers, also
    when they are NumPy, JAX or PyTorch scalars (``{'loss': Array(0.5, dtype=float32)}``)."""
    if len(text) > MAX_PY_DICT_CHARS:
        return None
    import ast  # only for the rare line that looks like a dict

    text = unwrap_scalar_reprs(text)
    if "nan" in text or "inf" in text:  # float("nan") prints as a bare nan: no literal
        text = _BARE_NOT_FINITE_RE.sub(_not_finite_literal, text)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return None
    value = {key: math.nan if item == _NAN_MARK else item for key, item in value.items()}
    if any(isinstance(item, (dict, list, tuple, set)) for item in value.values()):
        return None
    phase = split_phase(value)
    if phase:
        return split_fields(value, phase)
    texts = text_number_fields(value)
    if texts is not None:
        return texts
    if is_settings_dump(value):
        return None
    # A duration beside the results is how long they took, no result: LightGBM's
    # logistic_regression.py prints {'time': 0.24, 'correlation': ..., 'logloss': ...}.
    fields: Fields = {
        key: item
        for key, item in value.items()
        if isinstance(item, (int, float))
        and not isinstance(item, bool)
        and key
        and key.lower() not in _COLUMN_DURATIONS
    }
    return fields or None


# --- logger tables ------------------------------------------------------------------------
# Reinforcement-learning loggers (Stable-Baselines3, OpenAI baselines, Spinning Up) print each
# logging round as a table between two lines of dashes, a key and a value a row, SB3's keys
# under their section:
#     ------------------------------------
#     | rollout/              |          |
#     |    ep_rew_mean        | 22.3     |
#     | time/                 |          |
#     |    total_timesteps    | 2048     |
#     ------------------------------------
_TABLE_BORDER_RE: Final = compile_later(r"-{10,}")
_TABLE_ROW_RE: Final = compile_later(r"\|(?P<pad>\s*)(?P<key>[^|]*?)\s*\|\s*(?P<value>[^|]*?)\s*\|")
_TABLE_KEY_RE: Final = compile_later(r"[^\W\d][\w./-]*")
_TABLE_NUMBER_RE: Final = compile_later(_NUM)
# The row that gives the table's step, first found first: SB3's and baselines' timesteps,
# then the usual step words (Spinning Up's "Epoch").
TABLE_STEP_KEYS: Final = (
    "time/total_timesteps", "total_timesteps", "timesteps", "step", "global_step", "epoch",
    "iteration", "iterations", "iter",
)  # fmt: skip


def is_table_border(text: str) -> bool:
    """A line of dashes alone: a logger table opens or closes."""
    return text[:1] == "-" and _TABLE_BORDER_RE.fullmatch(text) is not None


def table_row(text: str) -> tuple[str, Number | str | None, bool] | None:
    """``(key, value, indented)`` of a logger table's row (``|    ep_rew_mean | 22.3 |``):
    the value a number, None for a section (``| rollout/ | |``), the text for any other
    value; ``indented``: the key is under the section above it. None when the line is no
    such row."""
    if text[:1] != "|":
        return None
    row = _TABLE_ROW_RE.fullmatch(text)
    if row is None or _TABLE_KEY_RE.fullmatch(row["key"]) is None:
        return None
    key, value, indented = row["key"], row["value"], len(row["pad"]) > 1
    if not value:
        return key, None, indented
    if _TABLE_NUMBER_RE.fullmatch(value):
        return key, _number(value), indented
    return key, value, indented


def table_step(values: Fields) -> Number | None:
    """Takes the table's step out of ``values`` (its timesteps or step row), if it has one."""
    by_lower = {name.lower(): name for name in values}
    for key in TABLE_STEP_KEYS:
        if key in by_lower:
            return values.pop(by_lower[key])
    return None


# --- tqdm bars -------------------------------------------------------------------------------
# tqdm draws "{desc}: {pct}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{, postfix}]"
# (or "{desc}: {n}{unit} [{elapsed}, {rate}{, postfix}]" without a total), redrawn with "\r".
# set_postfix(loss=0.3, acc=0.9) shows "loss=0.3, acc=0.9"; set_postfix_str and
# set_description show their text as given.
_TQDM_RE: Final = compile_later(
    r"(?:(?P<desc>.*?):\s*)?(?P<pct>[0-9]{1,3})%\|[^|]*\|\s*(?P<n>[0-9.]+[kMGTPEZY]?)\s*/\s*"
    r"[0-9.]+[kMGTPEZY]?\s*\[[0-9:]+<[0-9:?]+,\s*[^,\]]*?(?:,\s*(?P<postfix>.*?))?\]"
    r"|(?:(?P<udesc>.*?):\s*)?(?P<un>[0-9.]+[kMGTPEZY]?)[^\s\[\]]* \[[0-9:]+,\s*[^,\]]*?"
    r"(?:,\s*(?P<upostfix>.*?))?\]"
    # PyTorch Ignite's ProgressBar: "{desc}[{n}/{total}] {pct}%|{bar}{postfix} [{elapsed}<..]"
    r"|(?:(?P<idesc>.*?):\s*)?\[(?P<in>[0-9]+)/[0-9]+\]\s*[0-9]{1,3}%\|[^|,\[]*"
    r"(?:,\s*(?P<ipostfix>[^\[]*?))?\s*\[[0-9:]+<[0-9:?]+\]"
)
_TQDM_HINTS: Final = ("%|", "it/s", "s/it")
# torchtune's recipes: set_description(f"{curr_epoch + 1}|{self.global_step}|Loss: {loss}")
_PIPED_STEPS_RE: Final = compile_later(r"[0-9]+\|(?P<step>[0-9]+)\|(?P<rest>[^|]+)")
_POSTFIX_ITEM_RE: Final = compile_later(rf"({_WORD})=({_NUM})")
_POSTFIX_KWARGS_RE: Final = compile_later(rf"{_WORD}=[^,]*(?:,\s*{_WORD}=[^,]*)*")
_SI: Final = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21, "Y": 1e24}
_BATCH_COUNTERS: Final = frozenset({"batch", "batch_id", "batch_idx", "batch_index", "batch_num"})
# A bar's count of what its loop did so far, no metric: tianshou's "env_step=3024,
# update_step=252, n_ep=1, n_st=12" (v1: "gradient_step", "n/ep", "n/st").
_COUNT_NAME_RE: Final = compile_later(
    r"[\w/]*_(?:steps?|episodes?)|(?:n|num)[_/](?:ep|st|steps?|episodes?)", re.IGNORECASE
)
# The value a postfix showed before, beside the one it shows now (PyKEEN's training loop:
# "loss=1.39, prev_loss=1.37"): the same series one step late, no metric of its own.
_PREVIOUS_NAME_RE: Final = compile_later(r"prev(?:ious)?_(?P<name>\w+)", re.IGNORECASE)
_DESC_PHASES: Final = {**PHASES, "validating": "val", "evaluating": "eval"}
# A phase in brackets within a description, glued to its words (pytorch/examples
# vision_transformer: "EPOCH[TRAIN]3/10", "EPOCH[VALID]3/10").
_BRACKETED_PHASE_RE: Final = compile_later(
    r"(?P<head>[^\[\]]*)\[(?P<phase>[A-Za-z]+)\](?P<tail>[^\[\]]*)"
)


_LABELLED_DESC_RE: Final = compile_later(r"[^\W\d_]+ +[-\u2013] +(?P<rest>.+)")


class TqdmBar(NamedTuple):
    """A tqdm bar: its description (which bar it is), its count done, and the metrics of its
    description and postfix (None: it shows none)."""

    desc: str
    done: float
    shaped: Shaped | None


def tqdm_bar(text: str) -> TqdmBar | None:
    """The tqdm bar ``text`` shows (``epoch 1: 100%|████| 50/50 [00:01<00:00, 40.1it/s,
    loss=0.3]``), or None when it is no bar."""
    if not any(hint in text for hint in _TQDM_HINTS):
        return None
    match = _TQDM_RE.fullmatch(text)
    if match is None:
        return None
    if match["in"] is not None:  # Ignite's
        desc, count, postfix = match["idesc"] or "", match["in"], match["ipostfix"]
    else:
        desc = (match["desc"] if match["pct"] is not None else match["udesc"]) or ""
        count = match["n"] or match["un"]
        postfix = match["postfix"] if match["pct"] is not None else match["upostfix"]
    number = float(count[:-1]) * _SI[count[-1]] if count[-1] in _SI else float(count)
    return TqdmBar(desc.strip(), number, _tqdm_metrics(desc.strip(), (postfix or "").strip()))


def names_global_step(desc: str) -> bool:
    """Whether a bar's description names the global step it was drawn at (torchtune's
    ``1|16|Loss: 0.1875``): each redraw is then a point of its own, not a passing state."""
    return desc[:1].isdigit() and _PIPED_STEPS_RE.fullmatch(desc) is not None


def text_after_bar(text: str) -> str | None:
    """What was printed right after a tqdm bar's redraw on the same line: a logging call made
    while the bar was open writes its line after the bar's last redraw, which ends without a
    newline (``12/26 [00:05<00:02, 5.27it/s]12/07/2026 01:25:56 - INFO - __main__ - epoch 0:
    {'accuracy': 0.45}``, Hugging Face's ``*_no_trainer.py`` examples). None when the text is
    no such bar and line."""
    if not any(hint in text for hint in _TQDM_HINTS):
        return None
    match = _TQDM_RE.match(text)
    if match is None or match.end() >= len(text):
        return None
    return text[match.end() :].strip() or None


def _without_bracketed_phase(desc: str) -> tuple[str, str]:
    """``EPOCH[VALID]3/10`` -> (``EPOCH 3/10``, ``valid``); a description without a bracketed
    phase comes back as it is, with no phase."""
    if "[" not in desc:
        return desc, ""
    match = _BRACKETED_PHASE_RE.fullmatch(desc)
    phase = None if match is None else _DESC_PHASES.get(match["phase"].lower())
    if match is None or phase is None:
        return desc, ""
    return f"{match['head'].strip()} {match['tail'].strip()}".strip(), phase


def _after_label(desc: str) -> Shaped | None:
    """The metrics of a description that a one-word label opens (PyTorch Ignite's mnist
    example: ``ITERATION - loss: 0.23``): the label says which loop the bar counts, no
    metric; what follows its dash is read as a line of its own."""
    label = _LABELLED_DESC_RE.fullmatch(desc)
    if label is None:
        return None
    shaped = parse_shaped_line(label["rest"])
    return shaped if shaped is not None and shaped.step is None else None


def _tqdm_metrics(desc: str, postfix: str) -> Shaped | None:
    """The step and metrics a bar's description (``epoch 3``, ``Epoch 3/10 loss 0.31``) and
    postfix (``loss=0.3, acc=0.9``, or ``set_postfix_str``'s text) show; a description that
    is a phase (``Validating``) prefixes the postfix's names."""
    step: Number | None = None
    values: Fields = {}
    phase = ""
    if desc:
        desc, phase = _without_bracketed_phase(desc)
        phase = phase or _DESC_PHASES.get(desc.split(maxsplit=1)[0].lower(), "")
        piped = _PIPED_STEPS_RE.fullmatch(desc) if desc[:1].isdigit() else None
        shaped = parse_shaped_line(desc if piped is None else piped["rest"])
        if shaped is None and piped is None:
            shaped = _after_label(desc)
        if piped is not None:
            if shaped is None or shaped.step is not None:
                return None
            step, values = int(piped["step"]), dict(shaped.values)
        elif shaped is not None:
            step, values = shaped.step, dict(shaped.values)
        else:
            step = header_step(desc)
    shown: Fields = {}
    if postfix:
        if _POSTFIX_KWARGS_RE.fullmatch(postfix):  # set_postfix(...): its numbers, each one
            for item in postfix.split(","):
                pair = _POSTFIX_ITEM_RE.fullmatch(item.strip())
                if pair is not None:
                    shown[pair[1]] = _number(pair[2])
        else:
            shaped = parse_shaped_line(postfix)
            if shaped is not None:
                step = step if step is not None else shaped.step
                shown = dict(shaped.values)
    for name in list(shown):
        previous = _PREVIOUS_NAME_RE.fullmatch(name)
        if previous is not None and previous["name"] in shown:
            del shown[name]
    steps: dict[str, Number] = {}
    for name in [name for name in shown if name.lower() in _STEP_NAMES]:
        steps.setdefault(_STEP_NAMES[name.lower()], shown.pop(name))
    if step is None and steps:
        step = _choose_step(steps, shown)[0]
    values.update({_prefixed(name, phase): value for name, value in shown.items()})
    for name in [name for name in values if name.lower() in _BATCH_COUNTERS]:
        del values[name]  # Batch_id=468: the bar's own count, no metric
    for name in [name for name in values if _COUNT_NAME_RE.fullmatch(name)]:
        del values[name]
    return Shaped(step, values) if values else None


# --- column tables ---------------------------------------------------------------------------
# fastai's Learner (fastprogress on a console) prints the epochs of a fit as a table, a header
# of names then a row each epoch, columns two or more blanks apart:
#     epoch     train_loss  valid_loss  accuracy  time
#     0         0.693061    0.412137    0.870000  00:16
# scikit-learn's gradient boosting (verbose=1) prints one too, its names of two words:
#           Iter       Train Loss      OOB Improve   Remaining Time
#              1           1.6852           0.5800            1.92s
_COLUMN_NAME: Final = r"[^\W\d][\w/.-]*(?: [^\W\d][\w/.-]*)*"
# Pyro's examples (hmm.py, lda.py, contrib/autoname) print "Step\tLoss", then "0\t1.2345".
_COLUMN_HEADER_RE: Final = compile_later(
    rf"(?:epoch|step|iter|iteration)(?:(?: {{2,}}|\t){_COLUMN_NAME})+", re.IGNORECASE
)
_COLUMN_SPLIT_RE: Final = compile_later(r" {2,}|\t")
_COLUMN_NUMBER_RE: Final = compile_later(_NUM)
# no value: a time (00:16, 1.92s, 1.05m), fastai's #na#
_COLUMN_TEXT_RE: Final = compile_later(rf"[0-9]+(?::[0-9]{{2}})+|(?:{_NUM})(?:s|m|h)|#na#|None")
# skorch's PrintLog (tabulate's "simple" table, a rule of dashes under the header): its "dur"
# column is the epoch's seconds, no metric; its Checkpoint's "cp" column shows "+" on the
# epochs it saved and nothing on the others, so a row's cells are where the rule puts them.
_COLUMN_DURATIONS: Final = frozenset({"dur", "duration", "time", "elapsed"})
_COLUMN_MARKS: Final = frozenset({"", "+"})
_COLUMN_RULE_RE: Final = compile_later(r" *-+(?: {2,}-+)+ *")
_DASHES_RE: Final = compile_later(r"-+")
# ultralytics' training table: "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances
# Size", then each epoch's row as its progress bar ended: "        1/3      1.2G     0.6947
# 0.6997     0.4142          8         64: 100% ━━━━━━━━━━━━ 2/2 1.5it/s 1.4s". The epoch is of
# its total, the memory a text, and only the losses are metrics (not the last batch's count of
# instances, nor the image size).
_COUNTED_EPOCH_RE: Final = compile_later(r"([0-9]+)/[0-9]+")
_BAR_TAIL_RE: Final = compile_later(r":\s+[0-9]{1,3}%\s.*")
_MEMORY_CELL_RE: Final = compile_later(r"[0-9.]+[KMGT]i?B?")


# CMA-ES (the cma package: fmin2, optimize, an ask-and-tell loop's disp()) prints its table's
# header again every tenth row it shows, and counts its iterations from the start:
#     Iterat #Fevals   function value  axis ratio  sigma  min&max std  t[m:s]
#         1      8 8.731809040317799e+00 1.0e+00 4.26e-01  4e-01  4e-01 0:00.0
# The function value (the iteration's best) is the metric; the evaluations counted, the
# search's own state (axis ratio, step size sigma, spreads) and the time are not ("" below).
_CMA_HEADER_RE: Final = compile_later(
    r"Iterat\s+#Fevals\s+function value\s+axis ratio\s+sigma\s+min&max std\s+t\[m:s\]"
)
_CMA_COLUMNS: Final = ("Iterat", "", "function_value", "", "", "", "", "")
# With verb_disp_overwrite (cma's default once verb_disp rows pass it), each row after the
# first few ends in " -" and the next one is drawn over it ("\r\x1b[2K"); the last such row
# has the header printed again right after its mark: "  150 1500 9.9e-01 ... 0:00.4 -Iterat ...".
_CMA_MARK_RE: Final = compile_later(r" -(?=Iterat\s|$)")
# Prophet's performance_metrics(df_cv) printed: a row per horizon, each of its errors over the
# forecasts that far ahead (the rolling window's mean), the horizon in days its step.
#       horizon       mse      rmse       mae      mape     mdape     smape  coverage
#     0 30 days  0.073840  0.271736  0.224129  0.016528  0.015167  0.016575  0.833333
_PROPHET_METRICS: Final = frozenset("mse rmse mae mape mdape smape coverage".split())
_PROPHET_ROW_RE: Final = compile_later(
    r"[0-9]+\s+(?P<days>[0-9]+) days?(?: 00:00:00)?\s+(?P<values>\S.*)"
)


# A table drawn in boxes (rich's Table: "┃ Epoch ┃ Train Loss ┃" over "│ 1 │ 0.52 │"; its ASCII
# box, a markdown table) is a column table once its borders are cells' separators.
BOX_STARTS: Final = frozenset("┃│|")
_BOX_SPLIT_RE: Final = compile_later(r"\s*[┃│|]\s*")
_BOX_RULE_RE: Final = compile_later(r"[┏┓┗┛┳┻╋┡┩╇━─┼├┤└┘┌┐┬┴│┃╭╮╰╯═╞╡╪|+:\- ]+")


def boxed_cells(text: str) -> list[str] | None:
    """The cells of a boxed table's line (``┃ Epoch ┃ Train Loss ┃`` -> ``Epoch``, ``Train
    Loss``), two or more, or None when the line is no such row."""
    text = text.strip()
    if text[:1] not in BOX_STARTS or text[-1:] != text[:1]:
        return None
    cells = _BOX_SPLIT_RE.split(text[1:-1].strip())
    return cells if len(cells) >= 2 and all(cells) else None


def is_box_rule(text: str) -> bool:
    """A boxed table's border or rule (``┡━━━╇━━━┩``, ``|---|---|``): no cell, no text."""
    return _BOX_RULE_RE.fullmatch(text.strip()) is not None


def column_header(text: str) -> tuple[str, ...] | None:
    """The names of a column table's header (``epoch  train_loss  valid_loss  accuracy
    time``): a step word first, names two or more blanks apart, one of them a metric's; a
    name of words is joined by ``_`` (``Train Loss`` -> ``train_loss``). An empty name is a
    column not read (:data:`_CMA_COLUMNS`)."""
    if text[:6] == "Iterat" and _CMA_HEADER_RE.fullmatch(text) is not None:
        return _CMA_COLUMNS
    if text[:7] == "horizon":
        names = tuple(text.split())
        if len(names) > 1 and _PROPHET_METRICS.issuperset(names[1:]):
            return names
        return None
    if text[:1] not in _STEP_STARTS or _COLUMN_HEADER_RE.fullmatch(text) is None:
        return None
    names = tuple(
        _clean_name(name) if " " in name else name for name in _COLUMN_SPLIT_RE.split(text)
    )
    if len(set(names)) != len(names) or not any(has_metric_word(name) for name in names[1:]):
        return None
    return names


def is_cma_table(names: tuple[str, ...]) -> bool:
    """Whether ``names`` are those of CMA-ES's table (:func:`column_header`)."""
    return names is _CMA_COLUMNS


def cma_drawn_lines(text: str) -> list[str] | None:
    """The rows (and a header) of a CMA-ES line drawn to be overwritten, without the `` -``
    that marks it; None for a line without the mark."""
    if text[-1:] != "-" and " -Iterat" not in text:
        return None
    pieces = [piece for piece in _CMA_MARK_RE.split(text) if piece]
    return pieces if len(pieces) > 1 or pieces[0] != text else None


def column_spans(header: str, rule: str, count: int) -> tuple[int, ...] | None:
    """Where each of a column table's ``count`` columns starts, from the rule of dashes
    under its header (both as shown, blanks kept: ``-------  ------------``), when the rule
    has a group of dashes under each name; None when ``rule`` is no such rule."""
    if _COLUMN_RULE_RE.fullmatch(rule) is None:
        return None
    starts = tuple(match.start() for match in _DASHES_RE.finditer(rule))
    if len(starts) != count:
        return None
    ends = (*starts[1:], len(header))
    if any(not header[start:end].strip() for start, end in zip(starts, ends, strict=True)):
        return None
    return starts


def column_cells(text: str, starts: tuple[int, ...]) -> list[str]:
    """A row's cells (as shown, blanks kept) cut where :func:`column_spans` found its columns
    start, each without its blanks; an empty cell is one the row leaves blank."""
    ends = (*starts[1:], len(text))
    return [text[start:end].strip() for start, end in zip(starts, ends, strict=True)]


class ColumnRow(NamedTuple):
    """A column table's row: its epoch, its values, and whether the epoch is the run's, not
    one of this table's: printed of its total (``1/3``, ultralytics) or counted from the run's
    start under a header printed again (CMA-ES)."""

    epoch: int
    values: Fields
    counted: bool = False


def column_row(
    text: str, names: tuple[str, ...], cells: list[str] | None = None
) -> ColumnRow | None:
    """The step and values of a row under a column table's header (``0  0.69  0.41  0.87
    00:16``): as many cells as names, the first a whole number, each other a number or
    text of no value (a time, fastai's ``#na#``); None when the line is no such row.
    ``cells``: the row's cells where a rule of dashes placed them (:func:`column_cells`),
    which may be blank or skorch's ``+``. A duration's column (skorch's ``dur``) is no
    metric. ultralytics' rows (:data:`_COUNTED_EPOCH_RE`) end in their progress bar, cut off."""
    if names[0] == "horizon":
        return _prophet_row(text, names)
    if cells is None:
        if "%" in text:
            text = _BAR_TAIL_RE.sub("", text)
        cells = text.split()
    if len(cells) != len(names):
        return None
    counted = _COUNTED_EPOCH_RE.fullmatch(cells[0]) if not cells[0].isdigit() else None
    if counted is None and not cells[0].isdigit():
        return None
    values: Fields = {}
    for name, cell in zip(names[1:], cells[1:], strict=True):
        if not name:
            continue
        if _COLUMN_NUMBER_RE.fullmatch(cell):
            if (counted is None or has_metric_word(name)) and name not in _COLUMN_DURATIONS:
                values[name] = _number(cell)
        elif cell in _COLUMN_MARKS:
            continue
        elif _COLUMN_TEXT_RE.fullmatch(cell) is None and (
            counted is None or _MEMORY_CELL_RE.fullmatch(cell) is None
        ):
            return None
    if not values:
        return None
    if counted is not None:
        return ColumnRow(int(counted[1]), values, counted=True)
    return ColumnRow(int(cells[0]), values, counted=names is _CMA_COLUMNS)


def _prophet_row(text: str, names: tuple[str, ...]) -> ColumnRow | None:
    row = _PROPHET_ROW_RE.fullmatch(text)
    if row is None:
        return None
    cells = row["values"].split()
    if len(cells) != len(names) - 1 or not all(map(_COLUMN_NUMBER_RE.fullmatch, cells)):
        return None
    values = {name: _number(cell) for name, cell in zip(names[1:], cells, strict=True)}
    return ColumnRow(int(row["days"]), values, counted=True)


# --- ultralytics' validation summary ---------------------------------------------------------
# After each epoch (and once more for the best weights), a header drawn as its progress bar's
# description, then the row of all classes:
#
#                  Class     Images  Instances      Box(P          R      mAP50  mAP50-95): 100% ━━━
#                    all          4          8      0.125       0.25      0.105     0.0412
#
# (segmentation adds "Mask(P R mAP50 mAP50-95)"). The row's values take the names ultralytics
# gives them in its results.csv: metrics/precision(B), metrics/recall(B), metrics/mAP50(B),
# metrics/mAP50-95(B) (M for a mask's, P for a pose's).
_DETECTION_HEADER_RE: Final = compile_later(
    r"Class\s+Images\s+Instances\s+(?P<kinds>(?:(?:Box|Mask|Pose)\(P\s+R\s+mAP50\s+mAP50-95\)\s*)+)"
    r"(?::.*)?"
)
_DETECTION_KIND_RE: Final = compile_later(r"(Box|Mask|Pose)\(")
_DETECTION_ROW_RE: Final = compile_later(rf"all\s+[0-9]+\s+[0-9]+((?:\s+(?:{_NUM}))+)")
_DETECTION_LETTERS: Final = {"Box": "B", "Mask": "M", "Pose": "P"}
_DETECTION_NAMES: Final = ("precision", "recall", "mAP50", "mAP50-95")


def detection_header(text: str) -> tuple[str, ...] | None:
    """The letters of the kinds a validation header of ultralytics names (``("B", "M")``)."""
    if text[:5] != "Class" or _DETECTION_HEADER_RE.fullmatch(text) is None:
        return None
    return tuple(_DETECTION_LETTERS[kind] for kind in _DETECTION_KIND_RE.findall(text))


def detection_row(text: str, kinds: tuple[str, ...]) -> Fields | None:
    """The values of the ``all`` row under a validation header of ``kinds``, else None."""
    match = _DETECTION_ROW_RE.fullmatch(text) if text[:3] == "all" else None
    if match is None:
        return None
    numbers = match[1].split()
    if len(numbers) != 4 * len(kinds):
        return None
    names = [f"metrics/{name}({kind})" for kind in kinds for name in _DETECTION_NAMES]
    return {name: _number(raw) for name, raw in zip(names, numbers, strict=True)}


# --- scikit-learn's classification_report ----------------------------------------------------
# classification_report(y_true, y_pred) prints a header, one row per class, then the averages:
#
#                   precision    recall  f1-score   support
#
#            0       1.00      0.99      0.99        88
#            ...
#
#     accuracy                           0.97       899
#    macro avg       0.97      0.97      0.97       899
# weighted avg       0.97      0.97      0.97       899
#
# The averages and the accuracy are the report's metrics; the class rows (one per class, a
# thousand for ImageNet, named by whatever the labels are) are read past, not recorded.
_REPORT_HEADER_RE: Final = compile_later(r"precision\s+recall\s+f1-score\s+support")
_REPORT_ROW_RE: Final = compile_later(
    rf"(?P<label>\S.*?)\s+(?P<precision>{_NUM})\s+(?P<recall>{_NUM})\s+(?P<f1>{_NUM})"
    r"\s+(?P<support>[0-9]+)"
)
_REPORT_ACCURACY_RE: Final = compile_later(rf"accuracy\s+(?P<accuracy>{_NUM})\s+[0-9]+")
REPORT_AVERAGES: Final = ("micro avg", "macro avg", "weighted avg", "samples avg")
# imbalanced-learn's classification_report_imbalanced: its columns are abbreviated, its one
# average row is "avg / total", named as its output_dict names them (avg_pre, ..., avg_iba).
#
#                    pre       rec       spe        f1       geo       iba       sup
#
#           0       0.43      0.85      0.88      0.57      0.87      0.75       123
#
# avg / total       0.93      0.87      0.86      0.89      0.87      0.75      1250
_IMBALANCED_COLUMNS: Final = ("pre", "rec", "spe", "f1", "geo", "iba")
_IMBALANCED_HEADER_RE: Final = compile_later(r"pre\s+rec\s+spe\s+f1\s+geo\s+iba\s+sup")
_IMBALANCED_ROW_RE: Final = compile_later(
    rf"(?P<label>\S.*?)((?:\s+(?:{_NUM})){{6}})\s+(?P<support>[0-9]+)"
)
IMBALANCED_AVERAGE: Final = "avg / total"


def is_report_header(text: str) -> bool:
    """Whether ``text`` (stripped) is the header of scikit-learn's ``classification_report``
    or of imbalanced-learn's ``classification_report_imbalanced``."""
    if text[:1] == "p":
        return (
            _REPORT_HEADER_RE.fullmatch(text) is not None
            or _IMBALANCED_HEADER_RE.fullmatch(text) is not None
        )
    return False


def report_row(text: str) -> tuple[str, Fields] | None:
    """A ``classification_report`` row (stripped): ``("accuracy", {"accuracy": 0.97})``,
    ``("macro avg", {"macro_avg_precision": ..., "macro_avg_recall": ...,
    "macro_avg_f1_score": ...})``, or ``(label, {})`` for a class's row (not recorded).
    None when the line is no row of a report."""
    accuracy = _REPORT_ACCURACY_RE.fullmatch(text) if text[:8] == "accuracy" else None
    if accuracy is not None:
        return "accuracy", {"accuracy": _number(accuracy["accuracy"])}
    imbalanced = _imbalanced_row(text)  # its rows end as scikit-learn's do
    if imbalanced is not None:
        return imbalanced
    row = _REPORT_ROW_RE.fullmatch(text)
    if row is None:
        return None
    label = row["label"]
    if label not in REPORT_AVERAGES:
        return label, {}
    prefix = label.replace(" ", "_")
    return label, {
        f"{prefix}_precision": _number(row["precision"]),
        f"{prefix}_recall": _number(row["recall"]),
        f"{prefix}_f1_score": _number(row["f1"]),
    }


def _imbalanced_row(text: str) -> tuple[str, Fields] | None:
    row = _IMBALANCED_ROW_RE.fullmatch(text)
    if row is None:
        return None
    label = row["label"]
    if label != IMBALANCED_AVERAGE:
        return label, {}
    values = row[2].split()
    return label, {
        f"avg_{column}": _number(value)
        for column, value in zip(_IMBALANCED_COLUMNS, values, strict=True)
    }


# --- statsmodels' results summary ------------------------------------------------------------
# ``print(results.summary())`` draws a box: a title, a border of "=", rows of two
# "Name:   value" cells, a border; then the coefficient table and the residual diagnostics.
#
#                             OLS Regression Results
# ==============================================================================
# Dep. Variable:                      y   R-squared:                       0.933
# Model:                            OLS   Adj. R-squared:                  0.928
# Method:                 Least Squares   F-statistic:                     211.8
# Date:                Mon, 07 Dec 2026   Prob (F-statistic):           6.30e-27
# Time:                        03:58:30   Log-Likelihood:                -34.438
# No. Observations:                  50   AIC:                             76.88
# ==============================================================================
#
# The fit statistics of the first block are the metrics; dates, counts, the model's names and
# the coefficient table (one row per regressor) are not. ``summary2()`` ("Results: Ordinary
# least squares") has the same cells, some one blank apart, and closes with dashes; SARIMAX's
# ("SARIMAX Results") has no colon after its statistics' names.
RESULTS_STATISTICS: Final = {
    "R-squared": "r2",
    "R-squared (uncentered)": "r2_uncentered",
    "Adj. R-squared": "adj_r2",
    "Adj. R-squared (uncentered)": "adj_r2_uncentered",
    "F-statistic": "f_statistic",
    "Prob (F-statistic)": "prob_f_statistic",
    "Log-Likelihood": "log_likelihood",
    "Log Likelihood": "log_likelihood",
    "AIC": "aic",
    "BIC": "bic",
    "HQIC": "hqic",
    "Pseudo R-squ.": "pseudo_r2",
    "Pseudo R-squ. (CS)": "pseudo_r2_cs",
    "Pseudo R-squared": "pseudo_r2",
    "LL-Null": "ll_null",
    "LLR p-value": "llr_p_value",
    "Deviance": "deviance",
    "Pearson chi2": "pearson_chi2",
}
_RESULTS_TITLE_RE: Final = compile_later(r"(?:[\w.-]+ ){1,6}Results|Results: [\w ]+")
_RESULTS_BORDER_RE: Final = compile_later(r"=+|-+")
_RESULTS_CELL_RE: Final = compile_later(
    r"(?:^|(?<=\s))("
    + "|".join(re.escape(name) for name in sorted(RESULTS_STATISTICS, key=len, reverse=True))
    + rf"):?\s+({_NUM})(?=\s|$)"
)


def is_results_title(text: str) -> bool:
    """Whether ``text`` (stripped) is the title of a statsmodels results summary."""
    return "Results" in text and _RESULTS_TITLE_RE.fullmatch(text) is not None


def is_results_border(text: str) -> bool:
    return text[:1] in "=-" and _RESULTS_BORDER_RE.fullmatch(text) is not None


def results_statistics(text: str) -> Fields:
    """The fit statistics of a row of a results summary's first block (stripped); SARIMAX's
    right-hand cells have no colon (``Log Likelihood    -84.338``)."""
    return {RESULTS_STATISTICS[name]: _number(raw) for name, raw in _RESULTS_CELL_RE.findall(text)}


# --- spaCy's training table ------------------------------------------------------------------
# ``spacy train`` prints a header, a rule of dashes that gives each column's width, then a row
# per evaluation:
#
# E    #       LOSS TOK2VEC  LOSS TEXTCAT  CATS_SCORE  SCORE
# ---  ------  ------------  ------------  ----------  ------
#   0       0          0.00          0.25        0.00    0.00
#
# "#" is the step, "E" the epoch; the other columns are metrics named as printed.
_DASH_RULE_RE: Final = compile_later(r"-+(?:  +-+)+")
_NUMBER_RE: Final = compile_later(_NUM)
_TABLE_STEP_COLUMNS: Final = {"#": "step", "E": "epoch"}


def dash_rule_columns(header: str, rule: str) -> tuple[str, ...] | None:
    """The column names of a header over a rule of dashes (both stripped of the line end),
    as metric names, one per dash group; ``step`` for ``#`` and ``epoch`` for ``E``. None
    unless the header has a name over each group and a step column."""
    if rule[:1] != "-" or _DASH_RULE_RE.fullmatch(rule.rstrip()) is None:
        return None
    if "#" not in header.split():
        return None
    groups = rule.split()
    starts: list[int] = []
    index = 0
    for group in groups:
        starts.append(rule.index(group, index))
        index = starts[-1] + len(group)
    columns: list[str] = []
    for number, start in enumerate(starts):
        # a name stands over its dashes, from where they start to where the next ones do
        end = starts[number + 1] if number + 1 < len(starts) else len(header)
        name = header[start:end].strip()
        if not name or (start and header[start - 1 : start] != " "):
            return None
        columns.append(_TABLE_STEP_COLUMNS.get(name) or _NAME_CLEAN_RE.sub("_", name.lower()))
    return tuple(columns) if "step" in columns else None


def dash_table_row(text: str, columns: tuple[str, ...]) -> tuple[Number, Fields] | None:
    """The step and values of a row of a dash-ruled table: as many numbers as columns."""
    cells = text.split()
    if len(cells) != len(columns):
        return None
    values: Fields = {}
    for name, cell in zip(columns, cells, strict=True):
        if _NUMBER_RE.fullmatch(cell) is None:
            return None
        values[name] = _number(cell)
    step = values.pop("step")
    return step, values


# --- a table of methods, tab-separated -------------------------------------------------------
# scikit-learn's plot_kmeans_digits: a header of names, then a row a method (its label first),
#
# init		time	inertia	homo	compl	v-meas	ARI	AMI	silhouette
# k-means++	0.046s	69545	0.598	0.645	0.621	0.469	0.617	0.152
#
# each value named <row>/<column> (k-means++/inertia), a timing cell (0.046s) left out.
_METHOD_CELL_RE: Final = compile_later(r"[^\W\d][\w.+-]*")
_METHOD_VALUE_RE: Final = compile_later(rf"({_NUM})((?:{_TIME_UNIT})?)")


def method_table_header(text: str) -> tuple[str, ...] | None:
    """The columns after the first of a tab-separated header of names, one a metric's;
    None for any other line (a step word first is a column table's: :func:`column_header`)."""
    cells = [cell.strip() for cell in text.split("\t") if cell.strip()]
    if len(cells) < 3 or cells[0].lower() in _STEP_NAMES:
        return None
    if any(_METHOD_CELL_RE.fullmatch(cell) is None for cell in cells):
        return None
    columns = tuple(cells[1:])
    if len(set(columns)) != len(columns) or not any(has_metric_word(name) for name in columns):
        return None
    return columns


def method_table_row(text: str, columns: tuple[str, ...]) -> Fields | None:
    """A row's values under :func:`method_table_header`'s ``columns``, else None."""
    cells = [cell.strip() for cell in text.split("\t") if cell.strip()]
    if len(cells) != len(columns) + 1 or _METHOD_CELL_RE.fullmatch(cells[0]) is None:
        return None
    values: Fields = {}
    for name, cell in zip(columns, cells[1:], strict=True):
        match = _METHOD_VALUE_RE.fullmatch(cell)
        if match is None:
            return None
        if not match[2] and name.lower() != "time":
            values[f"{cells[0]}/{name}"] = _number(match[1])
    return values


# --- a metric named once, above its values ----------------------------------------------------
# scikit-learn's plot_calibration and plot_calibration_multiclass:
#
# Brier score losses: (the smaller the better)      Log-loss of
# No calibration: 0.104                              * uncalibrated classifier: 1.327
# With isotonic calibration: 0.084                   * calibrated classifier: 0.549
#
# each value named <metric>/<label> (brier_score_loss/no_calibration).
_NAMED_ABOVE_RE: Final = compile_later(r"([A-Za-z][A-Za-z' -]*?)(?::(?:\s*\([^()]*\))?| of)\s*")
_NAMED_BELOW_RE: Final = compile_later(rf"\s*(?:[*-]\s+)?([A-Za-z][A-Za-z' -]*?)\s*:\s*({_NUM})\s*")


def metric_above(text: str) -> str | None:
    """The metric a line names for the ``label: value`` lines under it (``Log-loss of``:
    ``log_loss``; a plural is the metric's: ``Brier score losses:`` is ``brier_score_loss``)."""
    match = _NAMED_ABOVE_RE.fullmatch(text)
    if match is None or not has_metric_word(match[1]):
        return None
    name = _clean_name(match[1])
    head, _, last = name.rpartition("_")
    for plural in ("es", "s"):
        if last.endswith(plural) and last[: -len(plural)] in METRIC_WORDS:
            return f"{head}_{last[: -len(plural)]}" if head else last[: -len(plural)]
    return name


def value_below(text: str, metric: str) -> Fields | None:
    """A ``label: value`` line under :func:`metric_above`'s ``metric``, else None."""
    match = _NAMED_BELOW_RE.fullmatch(text)
    if match is None or match[1].split(maxsplit=1)[0].lower() in _STEP_NAMES:
        return None  # "epoch: 3" under "Validation loss:" is where, not a value of it
    return {f"{metric}/{_clean_name(match[1])}": _number(match[2])}


# --- a cross-validation table, a fold a column -------------------------------------------------
# scikit-surprise's cross_validate(algo, data, measures=["RMSE", "MAE"], cv=5, verbose=True):
#
#                   Fold 1  Fold 2  Fold 3  Fold 4  Fold 5  Mean    Std
# RMSE (testset)    0.9374  0.9367  0.9330  0.9402  0.9383  0.9371  0.0024
# MAE (testset)     0.7385  0.7381  0.7362  0.7404  0.7391  0.7385  0.0014
# Fit time          0.71    0.72    0.70    0.71    0.72    0.71    0.01
#
# a measure's mean named as cross_validate's result names it (test_rmse; train_mae for
# "(trainset)"), its standard deviation <name>_std; the times are no metric.
_FOLD_HEADER_RE: Final = compile_later(r"(?:Fold [0-9]+\s+)+Mean\s+Std")
_FOLD_ROW_RE: Final = compile_later(
    rf"(?P<label>[A-Za-z][\w@ ]*?(?: \((?P<set>test|train)set\))?)(?P<values>(?:\s+(?:{_NUM}))+)"
)


def fold_table_header(text: str) -> int | None:
    """The number of folds of a cross-validation table's header (``Fold 1  Fold 2  Mean
    Std``), else None."""
    if text[:5] != "Fold " or _FOLD_HEADER_RE.fullmatch(text) is None:
        return None
    return text.count("Fold ")


def fold_table_row(text: str, folds: int) -> Fields | None:
    """A row's mean and standard deviation under :func:`fold_table_header` (empty for a
    time's row); None for a line that is no row of ``folds`` folds."""
    row = _FOLD_ROW_RE.fullmatch(text)
    if row is None:
        return None
    cells = row["values"].split()
    if len(cells) != folds + 2:
        return None
    if row["set"] is None:
        return {}
    name = f"{row['set']}_{_clean_name(row['label'].rpartition(' (')[0])}"
    return {name: _number(cells[-2]), f"{name}_std": _number(cells[-1])}


# --- Vowpal Wabbit's progress table -----------------------------------------------------------
# A header on two lines, then a row each time the examples seen double:
#
# average  since         example        example        current        current  current
# loss     last          counter         weight          label        predict features
# 0.693147 0.693147            1            1.0         1.0000         0.0000        6
# 0.323523 0.268281         4096         4096.0         1.0000         3.4650        6 h
#
# the average loss (progressive validation; after the first pass, " h": on the examples held
# out) at the example counter. A label or prediction may be no number (a class, "unknown").
_PROGRESS_HEADER: Final = ("loss", "last", "counter", "weight", "label", "predict", "features")
_PROGRESS_ROW_RE: Final = compile_later(
    rf"(?P<loss>{_NUM})\s+(?:{_NUM})\s+(?P<counter>[0-9]+)\s+(?:{_NUM})\s+\S+\s+\S+\s+[0-9]+(?: h)?"
)


def is_progress_header(text: str) -> bool:
    """Whether ``text`` is the second line of Vowpal Wabbit's progress table's header."""
    return text[:4] == "loss" and tuple(text.split()) == _PROGRESS_HEADER


def progress_row(text: str) -> tuple[int, Fields] | None:
    """The example counter and average loss of a row under :func:`is_progress_header`."""
    row = _PROGRESS_ROW_RE.fullmatch(text)
    if row is None:
        return None
    return int(row["counter"]), {"average_loss": _number(row["loss"])}


# --- KerasTuner's results_summary() ---------------------------------------------------------
# Trial 2 summary
# Hyperparameters:
# units: 16
# lr: 0.0062135540967083866
# Score: 0.9100000262260437
_TRIAL_SUMMARY_RE: Final = compile_later(r"Trial [\w-]+ summary")


def is_trial_summary_title(text: str) -> bool:
    """Whether ``text`` opens a trial's block of KerasTuner's ``results_summary()``."""
    return text[:6] == "Trial " and _TRIAL_SUMMARY_RE.fullmatch(text) is not None


bind(globals())  # the patterns above are compiled on first use (lazyre)
