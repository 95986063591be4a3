"""``runledger report``: one self-contained HTML page, checked as text and in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from runledger import ids
from tests.chart_runs import decay, series_run, write
from tests.conftest import Repo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install -y chromium)",
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
HOSTILE = "<script>alert('x')</script>"


def sweep(repo: Repo, count: int = 8) -> list[str]:
    runs = []
    for i in range(count):
        steps = list(range(0, 10 + 5 * i))
        runs.append(
            series_run(
                repo,
                i,
                params={
                    "lr": [0.001, 0.01, 0.1][i % 3],
                    "optimizer": "adam" if i % 2 else "sgd",
                    "note": HOSTILE if i == 0 else "plain",
                    "depth": 4,
                },
                series={
                    "loss": (steps, decay(0.05 * (i + 1), steps)),
                    "acc": (steps, [1 - v / 3 for v in decay(0.05 * (i + 1), steps)]),
                },
                name=f"run {i} & <b>bold</b>" if i == 1 else None,
                command=("python", "train.py", f"--lr={i}", "--tag=<img src=x onerror=alert(1)>"),
                environment={
                    "python": {"version": "3.11.9", "executable": "/usr/bin/python3"},
                    "os": {"platform": "Linux-6.1-x86_64"},
                    "cpu": {"model": "Test CPU", "count": 8},
                    "gpus": [{"name": "Test GPU", "memory_total_mib": 81920}],
                    "packages": {"torch": "2.3.1", "numpy": "1.26.4", "tqdm": "4.66"},
                },
            )
        )
    return write(repo, runs)


def report(repo: Repo, *args: str, name: str = "report.html") -> tuple[str, str]:
    result = repo.cli("report", *args, "-o", name)
    assert result.exit_code == 0, result.stderr
    return (repo.path / name).read_text(encoding="utf-8"), result.stderr


def test_the_page_has_every_part_and_no_outside_reference(repo: Repo) -> None:
    run_ids = sweep(repo)
    page, stderr = report(repo, "--metric", "loss")
    wrote, sentence = stderr.splitlines()
    assert re.fullmatch(r"runledger: wrote report\.html \(8 runs about loss, \d+ KiB\)", wrote)
    assert sentence.startswith("Run ") and " is best on loss (lower is better) with " in sentence
    assert html.escape(sentence) in page  # the page's first section says the same
    assert page.startswith("<!DOCTYPE html>")
    for section in ("compare", "curves", "params", "importance", "runs"):
        assert f'<section id="{section}">' in page
    # curves of loss and acc, parallel coordinates, importance
    assert page.count("<svg") == 4
    # self-contained: no script, no stylesheet or image to fetch, no link out
    assert "<script" not in page.lower()
    assert "<link" not in page and "<img" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "url(http" not in page
    # every run: its commit and its command
    head = repo.git("rev-parse", "HEAD").strip()
    assert page.count(f"<dd class=mono>{head}</dd>") == 8
    for run_id in run_ids:
        assert f'id="run-{run_id}"' in page


def test_recorded_text_is_escaped(repo: Repo) -> None:
    sweep(repo)
    page, _ = report(repo)
    assert HOSTILE not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "run 1 &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    command = shlex.join(["python", "train.py", "--lr=0", "--tag=<img src=x onerror=alert(1)>"])
    assert command.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;") in page


def test_the_compare_table_is_compares(repo: Repo) -> None:
    sweep(repo)
    compared = repo.cli("compare", "--metric", "loss", "--format", "json").json()
    page, _ = report(repo, "--metric", "loss")
    start = page.index('<section id="compare">')
    table = page[start : page.index("</section>", start)]
    headers = re.findall(r'<th class="(\w+)">([^<]*)</th>', table)
    columns = [
        key.split(".", 1)[1] if key.startswith(("params.", "metrics.")) else key
        for key in compared["columns"]
        if key != "best"
    ]
    metrics = [key.split(".", 1)[1] for key in compared["columns"] if key.startswith("metrics.")]
    # the run first (it stays in view when the table scrolls), then the metrics
    assert [label for _, label in headers] == [
        "id",
        *metrics,
        *[c for c in columns if c != "id" and c not in metrics],
    ]
    assert "Same in every run: " in table and "<code>depth=4</code>" in table
    best = compared["best"]["run"]
    assert '<tr class="winner"><td class="mono">★ <a' in table
    assert f'href="#run-{best}">{ids.short_id(best)}</a>' in table
    rows = re.findall(r'<a href="#run-(\w+)">', table)
    assert rows == [row["id"] for row in compared["rows"]]  # same order: best first


def test_environment_summary_and_notable_packages(repo: Repo) -> None:
    sweep(repo)
    page, _ = report(repo)
    assert "<dt>python</dt><dd>3.11.9 (/usr/bin/python3)</dd>" in page
    assert "<dt>gpus</dt><dd>Test GPU (81920 MiB)</dd>" in page
    assert "<dt>packages</dt><dd>3 installed: torch 2.3.1, numpy 1.26.4</dd>" in page


def test_a_single_run_and_runs_without_metrics(repo: Repo) -> None:
    [first, *_] = sweep(repo, count=2)
    from tests.synthetic import make_run

    make_run(repo, ids.new_run_id(1_800_000_000), "2027-01-15T00:00:00Z")
    page, stderr = report(repo, first[:9])
    assert "(1 run about acc" in stderr  # the metric most runs recorded, by name on a tie
    assert "Needs at least two runs with acc." in page
    assert "Too few runs to tell: 1 run has a value of acc" in page
    assert page.count("<svg") == 2  # the curves of acc and loss

    bare, _ = report(repo, "--where", "metrics.loss == null", name="bare.html")
    assert '<section id="curves">' not in bare and '<section id="importance">' not in bare
    assert '<section id="compare">' in bare and '<section id="runs">' in bare


def test_output_errors_and_stdout(repo: Repo) -> None:
    sweep(repo, count=3)
    before = sorted(p.name for p in repo.path.iterdir())
    missing = repo.cli("report", "-o", "nope/report.html")
    assert missing.exit_code == 1
    assert missing.stderr == (
        "runledger: error: cannot write the report to nope/report.html: no folder nope\n"
    )
    assert not (repo.path / "nope").exists()
    no_output = repo.cli("report")
    assert no_output.exit_code == 2
    assert "Missing option '--output'" in no_output.stderr
    unknown = repo.cli("report", "--metric", "f1", "-o", "r.html")
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        "runledger: error: no run has a metric named 'f1'; metrics: acc, loss\n"
    )
    assert not (repo.path / "r.html").exists()
    to_stdout = repo.cli("report", "-o", "-")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith("<!DOCTYPE html>") and to_stdout.stderr == ""
    assert sorted(p.name for p in repo.path.iterdir()) == before  # no temporary left


def test_repository_is_untouched(repo: Repo) -> None:
    sweep(repo, count=3)
    before = repo.state()
    outside = repo.path.parent / "shared-report.html"
    result = repo.cli("report", "-o", str(outside))
    assert result.exit_code == 0
    assert repo.state() == before
    outside.unlink()


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _console_errors(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if ":CONSOLE(" in line or "Uncaught" in line or "net::ERR" in line
    ]


@NEEDS_CHROMIUM
def test_chromium_renders_the_charts_without_console_errors(repo: Repo, tmp_path: Path) -> None:
    # The check itself must be able to fail: a page with a script error is caught.
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>throw new Error('boom')</script>")
    caught = _chromium(tmp_path, broken, "--dump-dom")
    assert any("boom" in line for line in _console_errors(caught.stderr)), caught.stderr

    sweep(repo, count=12)
    report(repo, "--metric", "loss")
    dom = _chromium(tmp_path, repo.path / "report.html", "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    assert _console_errors(dom.stderr) == []
    assert dom.stdout.count("<svg") == 4
    # matplotlib drew lines in every chart (paths), and the table and runs are there
    assert dom.stdout.count("<path") > 50
    assert dom.stdout.count('<details id="run-') == 12


def _pixel_spread(png: Path) -> float:
    """The standard deviation of a screenshot's grey levels: about 0 for a blank page."""
    from PIL import Image, ImageStat

    with Image.open(png) as image:
        return float(ImageStat.Stat(image.convert("L")).stddev[0])


def _viewport_boxes(tmp_path: Path, page: Path, selectors: dict[str, str]) -> dict[str, list[int]]:
    """[top, bottom, left, right] of the first element each selector finds, as Chromium lays
    the page out in a 1400x1000 window, and the viewport as ``window``."""
    script = (
        "<script>const out={window:[0,innerHeight,0,innerWidth]};"
        + "".join(
            f"{{const e=document.querySelector({json.dumps(css)});"
            f"if(e){{const b=e.getBoundingClientRect();"
            f"out[{json.dumps(name)}]=[b.top,b.bottom,b.left,b.right].map(Math.round);}}}}"
            for name, css in selectors.items()
        )
        + "document.title='BOXES '+JSON.stringify(out);</script></body>"
    )
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", script), encoding="utf-8")
    dom = _chromium(tmp_path, probe, "--window-size=1400,1000", "--dump-dom")
    found = re.search(r"<title>BOXES ([^<]*)</title>", dom.stdout)
    assert found, dom.stderr[-2000:]
    return dict(json.loads(html.unescape(found.group(1))))


@NEEDS_CHROMIUM
def test_at_1400px_the_page_shows_its_table_and_a_chart_without_scrolling(
    repo: Repo, tmp_path: Path
) -> None:
    sweep(repo, count=24)  # more rows than a screen holds: the table scrolls within itself
    report(repo, "--metric", "loss")
    page = repo.path / "report.html"
    shot = tmp_path / "shot.png"
    taken = _chromium(tmp_path, page, "--window-size=1400,1000", f"--screenshot={shot}")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    # The check can fail: a blank page has no spread.
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>x</title>")
    blank_shot = tmp_path / "blank.png"
    _chromium(tmp_path, blank, "--window-size=1400,1000", f"--screenshot={blank_shot}")
    assert _pixel_spread(blank_shot) < 1.0
    assert _pixel_spread(shot) > 10.0  # text, a table and charts were drawn

    boxes = _viewport_boxes(
        tmp_path, page, {"table": "#compare table", "chart": "svg", "answer": "h1, header p"}
    )
    top, bottom, left, right = boxes["window"]
    for name in ("table", "chart"):
        assert name in boxes, f"the page has no {name}"
        box_top, box_bottom, box_left, box_right = boxes[name]
        # its top is on the first screen, and it is not pushed off to the side
        assert top <= box_top < bottom, (name, boxes)
        assert box_bottom > box_top and box_left < right and box_right > left, (name, boxes)


def test_spread_keeps_the_ends_and_spaces_the_rest() -> None:
    from runledger.cli.commands.report import spread

    runs = list(range(10))
    assert spread(runs, 4) == [0, 3, 6, 9]  # type: ignore[arg-type]
    assert spread(runs, 20) == runs  # type: ignore[arg-type]
    assert spread(runs, 1) == [0]  # type: ignore[arg-type]


def test_every_option_of_the_chart_commands_has_help() -> None:
    import typer

    from runledger.cli.app import app

    group = typer.main.get_command(app)
    for name in ("plot", "importance", "report"):
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"
