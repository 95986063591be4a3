"""``runledger doctor [--fix] [--json]``: check refs, objects, index and journal; repair what
can be repaired without losing anything (store/doctor.py holds the checks)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runledger.cli.options import print_json
from runledger.safetext import safe
from runledger.store import git
from runledger.store.doctor import Finding, code_commit_findings, index_findings, ref_findings


def journal_findings(repo: git.Repo, fix: bool) -> list[Finding]:
    """Runs whose runledger died and that no one recorded yet (every command tries first)."""
    from runledger.recording import journal
    from runledger.recording.recovery import recover

    folders = journal.abandoned(repo.common_dir)
    if not folders:
        return []
    if fix:
        recover(repo, folders)
        left = set(journal.abandoned(repo.common_dir))
        return [
            Finding(
                "journal",
                folder.name,
                "a run whose runledger died, not yet recorded",
                "could not be recorded: see the warning above"
                if folder in left
                else "recorded as interrupted",
                folder not in left,
            )
            for folder in folders
        ]
    return [
        Finding(
            "journal",
            folder.name,
            "a run whose runledger died, not yet recorded",
            "runledger doctor --fix records it as interrupted",
        )
        for folder in folders
    ]


def report_lines(findings: list[Finding], fix: bool) -> list[str]:
    if not findings:
        return ["runledger doctor: refs, objects, index and journal are fine"]
    lines = []
    for finding in findings:
        mark = "fixed" if finding.fixed else "found"
        lines.append(
            f"{mark}  {finding.area:<8} {safe(finding.subject)}: {safe(finding.problem)}"
            f"  -> {safe(finding.fix)}"
        )
    left = sum(not finding.fixed for finding in findings)
    fixed = len(findings) - left
    summary = f"{len(findings)} problem{'s' * (len(findings) != 1)}"
    if fix:
        summary += f", {fixed} fixed, {left} left"
    elif any("--fix" in finding.fix or "aside" in finding.fix for finding in findings):
        summary += "; 'runledger doctor --fix' repairs what it can without losing anything"
    lines.append(summary)
    return lines


def doctor_command(
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Repair what can be repaired without loss: move bad refs aside under "
            "refs/runledger/quarantine/, rebuild the index, record abandoned runs.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> int:
    """Check the ledger's refs, objects, index and journal, and say how to fix each problem.

    A ref that is dangling, points at something other than a run commit, holds a record of
    another run id, or is not named by a run id is listed with its fix; --fix moves it aside
    (never deletes it). Exits 0 when nothing is wrong (or everything was fixed), 1 otherwise.
    """
    repo = git.discover(Path.cwd())
    # The index file is checked before anything opens it: opening replaces a damaged one.
    index = index_findings(repo, fix)
    findings = [
        *ref_findings(repo, fix),
        *code_commit_findings(repo),
        *index,
        *journal_findings(repo, fix),
    ]
    if as_json:
        print_json(
            {
                "ok": all(finding.fixed for finding in findings),
                "findings": [finding.json() for finding in findings],
            }
        )
    else:
        out = sys.stdout
        out.write("".join(line + "\n" for line in report_lines(findings, fix)))
    return 0 if all(finding.fixed for finding in findings) else 1
