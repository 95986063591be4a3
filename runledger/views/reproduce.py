"""``reproduce`` for people: the plan and checks (stderr), the verdict table (stdout)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runledger import ids
from runledger.analysis.reproduce import CheckState, Outcome, Plan
from runledger.analysis.verdict import MetricCheck
from runledger.views.runs import console, format_when
from runledger.views.text import quoted, safe

CHECK_MARK: dict[CheckState, tuple[str, str]] = {
    "ok": ("✓", "green"),
    "warn": ("!", "yellow"),
    "fail": ("✗", "red"),
}


def stderr_console() -> Console:
    """The plan goes to stderr, so the verdict alone can be piped or redirected."""
    return console(stderr=True)


def argv_text(argv: Sequence[str]) -> str:
    """The command as the argv list it runs as, each argument quoted and escaped."""
    return "[" + ", ".join(quoted(arg) for arg in argv) + "]"


def render_plan(plan: Plan, out: Console) -> None:
    original = plan.original
    title = Text("reproduce run ", style="bold")
    title.append(safe(original.id), style="cyan")
    if original.name:
        title.append(f"  {safe(original.name)}")
    title.append(
        f"  ({safe(original.status)}, {safe(format_when(original.started_at))})", style="dim"
    )
    out.print(title)

    head = Table(box=None, show_header=False, pad_edge=False)
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("command", Text(argv_text(original.command)))
    if plan.executable is not None:
        head.add_row("program", Text(safe(plan.executable)))
    if plan.script is not None:
        kind = "shell" if plan.script.shell else "interpreter"
        call = Text(f"{kind} script ({safe(plan.script.program)} {safe(plan.script.flag)}): ")
        call.append(quoted(plan.script.script), style="bold yellow")
        head.add_row("runs", call)
    commit = Text(safe(original.git.commit), style="magenta")
    branch = original.git.branch
    where = f"recorded on branch {safe(branch)}" if branch else "detached"
    if plan.head.commit and plan.head.commit != original.git.commit:
        where += f"; your HEAD is {plan.head.commit[:12]}"
    commit.append(f"  ({where})", style="dim")
    head.add_row("commit", commit)
    head.add_row("directory", Text(f"{safe(original.cwd)}  (in {safe(plan.worktree)})"))
    origin = plan.provenance
    if origin.foreign:
        who = f"{safe(origin.user or '?')}@{safe(origin.host or '?')}"
        source = f"pulled from {', '.join(map(safe, origin.remotes))}" if origin.remotes else ""
        head.add_row("by", Text(f"{who}  {source}".rstrip(), style="yellow"))
    variables = plan.variables
    if variables.set:
        head.add_row(
            "sets",
            Text(
                "  ".join(
                    f"{safe(name)}={quoted(value)}" for name, value in sorted(variables.set.items())
                )
            ),
        )
    if variables.rewritten:
        names = ", ".join(map(safe, variables.rewritten))
        head.add_row("", Text(f"{names}: your work tree -> the re-run's", "dim"))
    if variables.unset:
        head.add_row("unsets", Text(f"{' '.join(variables.unset)}  (not set in the original run)"))
    if variables.kept:
        head.add_row(
            "keeps",
            Text(f"{' '.join(map(safe, variables.kept))}  (masked in the record: yours is used)"),
        )
    if variables.not_applied:
        head.add_row(
            "not applied",
            Text(
                f"{' '.join(map(safe, variables.not_applied))}  (in the record, outside the "
                "allow-list in force here)",
                style="yellow",
            ),
        )
    if variables.outside:
        head.add_row(
            "not applied",
            Text(
                f"{' '.join(map(safe, variables.outside))}  (a path outside this repository, "
                "from a run recorded elsewhere: what is there is not in the plan)",
                style="yellow",
            ),
        )
    out.print(head)

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("", overflow="fold")
    for check in plan.checks:
        mark, style = CHECK_MARK[check.state]
        table.add_row(Text(mark, style=style), Text(check.what), Text(safe(check.detail)))
    out.print(table)


def _value(value: float | None) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.10g}"


def _diff(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _relative(check: MetricCheck) -> str:
    return "" if check.rel_diff is None else f"{check.rel_diff * 100:.3g}%"


def _tolerance(check: MetricCheck) -> str:
    return "exact" if check.tolerance == 0 else f"{check.tolerance * 100:.3g}%"


def render_verdict(outcome: Outcome, out: Console | None = None) -> None:
    out = out or console()
    verdict = outcome.verdict
    if verdict.metrics:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("metric", no_wrap=True)
        for column in ("original", "reproduced", "abs diff", "rel diff", "tolerance"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        for check in verdict.metrics:
            mark = Text("✓", style="green") if check.matched else Text("✗", style="red")
            table.add_row(
                Text(safe(check.name)),
                _value(check.original),
                _value(check.new),
                _diff(check.abs_diff),
                _relative(check),
                _tolerance(check),
                mark,
            )
        out.print(table)
    reproduction = outcome.run.reproduction
    notes = []
    if reproduction is not None and reproduction.input_drift:
        notes.append("the inputs differed from the original's (--allow-input-drift)")
    if outcome.environment_differences:
        count = outcome.environment_differences
        notes.append(f"the environment differed ({count} difference{'s' * (count != 1)})")
    if reproduction is not None and reproduction.relaxed:
        notes.append(f"--relax installed other versions: {', '.join(reproduction.relaxed)}")
    style = {"reproduced": "bold green", "not-verified": "bold yellow"}.get(
        verdict.name, "bold red"
    )
    headline = safe(verdict.headline)
    line = Text(headline.split(":", 1)[0], style=style)
    line.append(":" + headline.split(":", 1)[1])
    if notes:
        line.append(f" ({'; '.join(notes)})", style="yellow")
    line.append(f"  [run {ids.short_id(outcome.run.id)}]", style="dim")
    out.print(line)
    if outcome.kept_outputs is not None:
        out.print(Text(f"outputs of the re-run kept in {outcome.kept_outputs}", style="dim"))
