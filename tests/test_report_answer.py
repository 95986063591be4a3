"""report leads with the answer: the subject metric, the first sentence, groups, dot charts,
and a layout where the best run's row is in view (checked in Chromium when it is installed)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.synthetic import make_run

AUC = {("resnet", 0): 0.901, ("resnet", 1): 0.912, ("resnet", 2): 0.905}
AUC |= {("vit", 0): 0.915, ("vit", 1): 0.897, ("vit", 2): 0.921}


@pytest.fixture
def seeds(repo: Repo) -> Repo:
    for index, ((model, seed), auc) in enumerate(AUC.items()):
        make_run(
            repo,
            f"6g{index:08d}aaaaaa",
            f"2026-01-01T10:{index:02d}:00.000Z",
            params={"model": model, "seed": seed},
            # best_epoch is in every run, val_auc in all but... every run too: the counter
            # must still never be the subject.
            metrics={"best_epoch": seed + 3, "lr": 0.01, "val_auc": auc},
        )
    return repo


def page_of(repo: Repo, *args: str) -> str:
    out = repo.path.parent / "report.html"
    result = repo.cli("report", "-o", str(out), *args)
    assert result.exit_code == 0, result.stderr
    return out.read_text()


def first_sentence(page: str) -> str:
    match = re.search(r'<p class="answer">(.*?)</p>', page)
    assert match, "no answer section"
    return html.unescape(match.group(1))


def test_the_subject_is_never_a_counter_or_a_setting(seeds: Repo) -> None:
    page = page_of(seeds)
    assert "<title>Run report: val_auc</title>" in page


def test_the_configured_subject_wins(seeds: Repo) -> None:
    seeds.write(".runledger.toml", '[metrics]\nsubject = "lr"\ndirection = { lr = "min" }\n')
    seeds.commit_all()
    assert "<title>Run report: lr</title>" in page_of(seeds)


def test_the_first_section_says_which_run_is_best_by_how_much(seeds: Repo) -> None:
    page = page_of(seeds)
    assert page.index('id="answer"') < page.index('id="compare"')
    sentence = first_sentence(page)
    assert sentence.startswith(
        "Run 6g00000005 is best on val_auc (higher is better) with 0.921, 0.006 ahead of "
        "run 6g00000003 (0.915)"
    )
    assert "needs repeats (seeds) and --group-by" in sentence


def test_group_by_adds_groups_with_error_bars_and_the_noise(seeds: Repo) -> None:
    page = page_of(seeds, "--group-by", "params.model")
    sentence = first_sentence(page)
    assert "the best group model=vit (0.911 ± 0.0125, n=3) leads model=resnet" in sentence
    assert sentence.endswith("within the noise (less than one standard deviation).")
    groups = page[page.index('<section id="groups">') :]
    groups = groups[: groups.index("</section>")]
    assert "<h2>Groups by params.model</h2>" in groups
    assert "<svg" in groups  # the error bars
    assert '<td class="num best">0.911 ± 0.0125</td>' in groups


def test_a_metric_with_one_value_per_run_is_drawn_as_dots(seeds: Repo) -> None:
    page = page_of(seeds)
    curves = page[page.index('<section id="curves">') :]
    assert "<h3>val_auc</h3>" in curves
    assert "One value per run (no series): the best on top." in curves


def _wide_repo(repo: Repo) -> None:
    from runledger.model.record import GitInfo, MetricSummary, Run
    from tests.chart_runs import write
    from tests.synthetic import make_run as _unused  # noqa: F401

    head = repo.git("rev-parse", "HEAD").strip()
    runs = []
    for index in range(40):
        params = {f"param_number_{k}": (index * 7 + k) % 11 for k in range(40)}
        value = 0.5 + ((index * 13) % 40) / 100
        runs.append(
            Run(
                id=f"6g{index:08d}bbbbbb",
                status="ok",
                started_at="2026-01-01T10:00:00.000Z",
                ended_at="2026-01-01T10:00:00.000Z",
                duration_s=1.0,
                command=("python", "train.py"),
                git=GitInfo(commit=head, branch="main"),
                exit_code=0,
                params=params,
                metrics={"val_auc": MetricSummary(last=value, min=value, max=value)},
            )
        )
    write(repo, runs)


CHROMIUM = next(
    (path for path in map(shutil.which, ("chromium", "chromium-browser")) if path), None
)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_in_chromium_at_1400px_the_best_row_is_in_view_without_scrolling(
    repo: Repo, tmp_path: Path
) -> None:
    _wide_repo(repo)
    out = tmp_path / "report.html"
    assert repo.cli("report", "-o", str(out)).exit_code == 0
    page = out.read_text()
    start = page.index('<section id="compare">')
    header = re.findall(r"<th[^>]*>([^<]*)</th>", page[start : page.index("</section>", start)])
    assert header[:2] == ["id", "val_auc"]  # the metric right after the sticky run column
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,1400",
            f"--screenshot={shot}",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and shot.exists(), proc.stderr.decode()[-2000:]
    # Where the layout puts the best row, measured by the browser itself: the row and its
    # id and metric cells lie within the 1400 px viewport, horizontally, without scrolling.
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.replace(
            "</body>",
            "<script>const r=document.querySelector('tr.winner');"
            "const c=[...r.children].slice(0,2).map(x=>x.getBoundingClientRect());"
            "document.title='RECT '+c.map(b=>Math.round(b.left)+','+Math.round(b.right))"
            ".join(' ')+' W '+document.documentElement.clientWidth;</script></body>",
        )
    )
    dump = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,1400",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    title = re.search(r"<title>RECT ([^<]*)</title>", dump.stdout.decode())
    assert title, dump.stderr.decode()[-2000:]
    numbers = [int(n) for n in re.findall(r"-?\d+", title.group(1))]
    *edges, width = numbers
    assert width <= 1400
    assert all(0 <= edge <= width for edge in edges), title.group(1)


def test_a_tie_is_called_a_tie() -> None:
    from runledger.analysis.answer import answer
    from runledger.analysis.compare import build
    from runledger.model.record import GitInfo, MetricSummary, Run

    def run(index: int, auc: float) -> Run:
        return Run(
            id=f"6g{index:08d}cccccc",
            status="ok",
            started_at="2026-01-01T10:00:00.000Z",
            ended_at="2026-01-01T10:00:00.000Z",
            duration_s=1.0,
            command=("python", "train.py"),
            git=GitInfo(commit="a" * 40, branch="main"),
            metrics={"auc": MetricSummary(last=auc, min=auc, max=auc)},
        )

    from runledger.model.row import RunRow

    rows = [RunRow.of(run(0, 0.9)), RunRow.of(run(1, 0.95)), RunRow.of(run(2, 0.95 + 1e-15))]
    comparison = build(rows, metric="auc")
    sentence = answer(comparison)
    assert sentence is not None
    assert sentence.startswith(
        "Runs 6g00000002 and 6g00000001 tie for best on auc (higher is better) at 0.95"
    )
