"""Shell completion: --install-completion/--show-completion, and RUN, METRIC and tag values
answered from the index through the real command, as bash and zsh ask for them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import Repo
from tests.crafted import craft
from tests.synthetic import make_run
from tests.team import clone, make_remote

A, B = "6g00000000aaaaaa", "6g00000001bbbbbb"


def _ledger(repo: Repo) -> None:
    make_run(repo, A, "2026-01-01T10:00:00.000Z", metrics={"val_auc": 0.9, "loss": 0.1})
    make_run(repo, B, "2026-01-02T10:00:00.000Z", metrics={"val_auc": 0.8}, tags=("nightly",))
    assert repo.cli("tag", A, "production").exit_code == 0
    assert repo.cli("ls").exit_code == 0  # the index exists, as after any command


def bash(repo: Repo, line: str) -> list[str]:
    words = line.split(" ")
    env = {
        "_RUNLEDGER_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    result = repo.run(env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().split()


def test_run_ids_and_team_tags_complete_a_run(repo: Repo) -> None:
    _ledger(repo)
    assert bash(repo, "runledger show ") == [B, A, "production"]
    assert bash(repo, "runledger show 6g00000001") == [B]
    assert bash(repo, "runledger diff 6g00000001bbbbbb 6g0000000") == [B, A]


def test_metric_names_complete_metric(repo: Repo) -> None:
    _ledger(repo)
    assert bash(repo, "runledger compare --metric ") == ["val_auc", "loss"]
    assert bash(repo, "runledger plot v") == ["val_auc"]
    assert bash(repo, "runledger plot val_auc ") == [B, A, "production"]


def test_tags_complete_tag(repo: Repo) -> None:
    _ledger(repo)
    assert bash(repo, "runledger ls --tag ") == ["production", "nightly"]


def test_zsh_gets_an_arguments_spec(repo: Repo) -> None:
    _ledger(repo)
    env = {"_RUNLEDGER_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "runledger report -m "}
    out = repo.run(env=env).stdout.decode()
    assert out.startswith("_arguments '*: :((") and '"val_auc"' in out and '"loss"' in out


def test_commands_and_options_fall_back_to_typer(repo: Repo) -> None:
    assert "compare" in bash(repo, "runledger comp")
    assert "--metric" in bash(repo, "runledger compare --met")


def test_show_completion_prints_the_script(repo: Repo) -> None:
    # Typer finds the shell in the process tree; CI's has none, so name it, as typer's tests do.
    result = repo.run(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert "_RUNLEDGER_COMPLETE=complete_bash" in result.stdout.decode()
    help_text = repo.run("--help", env={"COLUMNS": "80"}).stdout.decode()
    assert "--install-completion" in help_text


def test_a_pulled_name_with_control_characters_is_not_offered(repo: Repo) -> None:
    # Completion output lands in the user's prompt: an OSC 52 in a metric name would set the
    # clipboard there.
    make_run(
        repo, A, "2026-01-01T10:00:00.000Z", metrics={"val_auc": 0.9, "x\x1b]52;c;aGk=\x07": 1}
    )
    assert repo.cli("ls").exit_code == 0
    assert bash(repo, "runledger compare --metric ") == ["val_auc"]


def test_a_pulled_name_that_is_shell_code_is_never_offered(repo: Repo, tmp_path: Path) -> None:
    """zsh evaluates the answer (typer's script: eval $(...)): a metric or tag named with a
    quote and a $(...) ran its command at a TAB. Such names are left out of the answer."""
    pwned = tmp_path / "pwned"
    craft(
        repo.path,
        metrics={"val_auc": {"last": 0.9}, f"acc'$(touch {pwned})'": {"last": 1.0}},
        tags=["nightly", f"t'`touch {pwned}`'"],
    )
    assert repo.cli("ls").exit_code == 0  # the index the answer is read from
    answers = {}
    for line, kind in (("runledger plot ", "metric"), ("runledger ls --tag ", "tag")):
        env = {"_RUNLEDGER_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
        answers[kind] = repo.run(env=env).stdout.decode()
    assert '"val_auc"' in answers["metric"] and '"nightly"' in answers["tag"]
    for answer in answers.values():
        assert "touch" not in answer and "'$" not in answer and "`" not in answer
    zsh = shutil.which("zsh")
    if zsh is None:
        return  # what zsh would run is checked where it is installed
    for answer in answers.values():
        script = "_arguments() { :; }\n_files() { :; }\neval $(cat)\n"
        subprocess.run([zsh, "-f", "-c", script], input=answer.encode(), check=False)
    assert not pwned.exists()


def zsh(repo: Repo, line: str, cwd: Path | None = None) -> str:
    env = {"_RUNLEDGER_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
    result = repo.run(env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def test_packed_team_tags_and_a_half_typed_zsh_word(repo: Repo) -> None:
    """After ``git pack-refs --all`` (git gc does it) the team tags live in packed-refs only:
    they are still offered, and zsh's half-typed word narrows the answer."""
    _ledger(repo)
    repo.git("pack-refs", "--all")
    assert bash(repo, "runledger ls --tag ") == ["production", "nightly"]
    assert bash(repo, "runledger show ") == [B, A, "production"]
    answer = zsh(repo, "runledger report -m val")
    assert '"val_auc"' in answer and '"loss"' not in answer
    assert zsh(repo, "runledger report -m zzz").strip() == "_files"  # nothing fits: file names


def test_what_completion_leaves_alone_or_answers_with_nothing(repo: Repo, tmp_path: Path) -> None:
    """Values of options that take no run, a second tag's position, commands that take no
    run, and the words after an option's value are told apart; outside a repository there is
    nothing to offer, and a repository without an index offers its tags alone."""
    _ledger(repo)
    index = repo.path / ".git" / "runledger" / "index.sqlite"
    index.rename(index.with_suffix(".kept"))
    assert bash(repo, "runledger ls --tag ") == ["production"]  # no index: the tag refs alone
    assert bash(repo, "runledger show ") == ["production"]
    assert bash(repo, "runledger show pro") == ["production"]
    index.with_suffix(".kept").rename(index)
    assert repo.cli("tag", A, "candidate").exit_code == 0
    assert bash(repo, "runledger tag 6g00000000aaaaaa ") == ["candidate", "production", "nightly"]
    assert bash(repo, "runledger compare --where acc>1 --sort ") == []
    assert bash(repo, "runledger plot --where acc>1 val_auc ") == [B, A, "candidate", "production"]
    assert A not in bash(repo, "runledger --verbose ")  # typer offers the commands
    assert "nightly" not in bash(repo, "runledger ls ")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = repo.run(
        env={
            "_RUNLEDGER_COMPLETE": "complete_bash",
            "COMP_WORDS": "runledger show ",
            "COMP_CWORD": "2",
        },
        cwd=outside,
    )
    assert result.returncode == 0 and result.stdout == b""


def test_quoted_words_and_a_broken_request(repo: Repo) -> None:
    """A quoted word is one word (``--where "acc > 1"``); an unclosed quote is split on
    spaces; a COMP_CWORD that is not a number is answered by typer, without a traceback."""
    _ledger(repo)
    assert bash(repo, 'runledger compare --where "acc > 1" --metric ') == ["val_auc", "loss"]
    assert bash(repo, "runledger show 'unclosed 6g00000001") == [B]
    env = {
        "_RUNLEDGER_COMPLETE": "complete_bash",
        "COMP_WORDS": "runledger show ",
        "COMP_CWORD": "x",
    }
    result = repo.run(env=env)
    assert b"Traceback" not in result.stderr


def test_a_corrupt_index_offers_what_the_refs_say(repo: Repo) -> None:
    _ledger(repo)
    (repo.path / ".git" / "runledger" / "index.sqlite").write_bytes(b"not a database" * 100)
    assert bash(repo, "runledger ls --tag ") == ["production"]
    assert bash(repo, "runledger show ") == ["production"]


def test_a_deleted_team_tag_is_no_longer_offered(repo: Repo) -> None:
    """``tag --delete`` keeps the tag's ref (a last "delete" state, so the deletion syncs):
    completion listed every tag ref, so a deleted tag was offered to ``ls --tag`` and as a RUN
    ever after. Only live tags are offered now, loose or packed, and a tag set again is back."""
    _ledger(repo)
    assert repo.cli("tag", B, "staging").exit_code == 0
    assert bash(repo, "runledger ls --tag ") == ["production", "staging", "nightly"]
    assert repo.cli("tag", "--delete", "production").exit_code == 0

    assert bash(repo, "runledger ls --tag ") == ["staging", "nightly"]
    assert bash(repo, "runledger show ") == [B, A, "staging"]
    repo.git("pack-refs", "--all")
    assert bash(repo, "runledger ls --tag ") == ["staging", "nightly"]  # from what it learnt
    assert repo.cli("tag", A, "production").exit_code == 0
    assert bash(repo, "runledger show ") == [B, A, "production", "staging"]


def test_a_tag_deleted_in_another_clone_goes_with_the_pull(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    alice, bob = clone(tmp_path, remote, "alice"), clone(tmp_path, remote, "bob")
    run_id = alice.record()
    alice.ok("tag", run_id, "production")
    alice.ok("push")
    bob.ok("pull")
    assert bash(bob, "runledger ls --tag ") == ["production"]

    alice.ok("tag", "--delete", "production")
    alice.ok("push")
    bob.ok("pull")

    assert bash(bob, "runledger ls --tag ") == []
    bob.ok("ls")  # the index exists, as after any command
    assert bash(bob, "runledger show ") == [run_id]
