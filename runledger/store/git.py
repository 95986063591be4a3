"""The only module that talks to git.

Plumbing goes through the ``git`` binary (so the user's config, credentials and hooks apply);
objects that runledger writes (blobs, one tree, one commit per run) are written as loose objects
directly, because a training run must not pay for several git processes on its way out.
Refs are only ever changed through ``git update-ref`` with compare-and-swap semantics.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from runledger.errors import GitError, NotARepositoryError, RunledgerError, UserError

if TYPE_CHECKING:
    import mmap

_O_BINARY = getattr(os, "O_BINARY", 0)


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Keep git's output machine-stable whatever the user's locale or pager settings are.
    env["LC_ALL"] = "C"
    env["GIT_PAGER"] = "cat"
    return env


def run_git(
    args: Sequence[str],
    cwd: Path | str,
    *,
    stdin: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``cwd``; raise GitError with git's own message when it fails."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=_git_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise UserError("git is not installed or not on PATH: install git first") from exc
    except ValueError as exc:  # a NUL byte in an argument: no git object or ref can be named so
        raise UserError(f"bad argument for git ({exc}): names cannot contain NUL bytes") from exc
    if check and proc.returncode != 0:
        message = proc.stderr.decode(errors="surrogateescape").strip().splitlines()
        detail = message[-1] if message else f"exit code {proc.returncode}"
        raise GitError(f"git {args[0]} failed: {detail}")
    return proc


def zsplit(data: bytes) -> list[str]:
    """Split NUL-separated git output into strings (dropping the trailing empty field)."""
    return [part.decode("utf-8", "surrogateescape") for part in data.split(b"\0") if part]


@dataclass(frozen=True)
class Repo:
    """A git repository as runledger sees it."""

    root: Path
    git_dir: Path
    common_dir: Path
    object_format: str  # "sha1" or "sha256"

    @property
    def runledger_dir(self) -> Path:
        """Where runledger keeps rebuildable state (caches, journal) inside the git directory."""
        return self.common_dir / "runledger"

    @property
    def objects_dir(self) -> Path:
        override = os.environ.get("GIT_OBJECT_DIRECTORY")
        return Path(override) if override else self.common_dir / "objects"

    def git(
        self, *args: str, stdin: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return run_git(args, self.root, stdin=stdin, check=check)

    def relative_cwd(self, cwd: Path) -> str:
        """``cwd`` relative to the work tree root, as a posix path ('.' for the root)."""
        try:
            rel = Path(os.path.realpath(cwd)).relative_to(os.path.realpath(self.root))
        except ValueError:
            return "."
        return rel.as_posix() or "."


@dataclass(frozen=True)
class HeadState:
    """Where HEAD is: the commit (None in an empty repository) and the branch (None if detached)."""

    commit: str | None
    branch: str | None


def _not_a_repository(cwd: Path | str, stderr: str) -> RunledgerError:
    if "not a git repository" in stderr:
        return NotARepositoryError(
            f"not a git repository: {Path(cwd).resolve()} (run runledger inside your "
            "project's git repository, or create one with 'git init')"
        )
    if "must be run in a work tree" in stderr or "bare repository" in stderr:
        return NotARepositoryError(
            "this is a bare git repository: run runledger inside a clone with a work tree"
        )
    return GitError(f"git rev-parse failed: {stderr.strip()}")


def discover_with_head(cwd: Path | str) -> tuple[Repo, HeadState]:
    """The repository containing ``cwd`` and its HEAD, in one git call (exec's start-up path)."""
    proc = run_git(
        [
            "rev-parse",
            "--show-toplevel",
            "--absolute-git-dir",
            "--git-common-dir",
            "--show-object-format",
            "HEAD",
            "--symbolic-full-name",
            "HEAD",
        ],
        cwd,
        check=False,
    )
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    stderr = proc.stderr.decode(errors="surrogateescape")
    if len(lines) < 4:
        raise _not_a_repository(cwd, stderr)
    root, git_dir, common_dir, object_format = lines[:4]
    common = Path(common_dir)
    if not common.is_absolute():
        common = (Path(cwd) / common).resolve()
    repo = Repo(
        root=Path(root),
        git_dir=Path(git_dir),
        common_dir=common,
        object_format=object_format.strip() or "sha1",
    )
    if proc.returncode != 0 or len(lines) < 6:
        return repo, HeadState(commit=None, branch=None)
    commit, symbolic = lines[4], lines[5]
    branch = symbolic[len("refs/heads/") :] if symbolic.startswith("refs/heads/") else None
    return repo, HeadState(commit=commit, branch=branch)


def discover(cwd: Path | str) -> Repo:
    """Find the repository containing ``cwd``; raise NotARepositoryError outside one."""
    return discover_with_head(cwd)[0]


def head_state(repo: Repo) -> HeadState:
    return discover_with_head(repo.root)[1]


STATUS_ARGS = ("status", "--porcelain=v1", "-z", "--untracked-files=normal")


def discover_with_status(cwd: Path | str) -> tuple[Repo, HeadState, list[str]]:
    """:func:`discover_with_head` and the dirty paths, with their two git processes
    running side by side (exec's start-up path; porcelain paths are relative to the root
    whatever the cwd)."""
    try:
        status = subprocess.Popen(
            ["git", *STATUS_ARGS],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
        )
    except FileNotFoundError as exc:
        raise UserError("git is not installed or not on PATH: install git first") from exc
    try:
        repo, head = discover_with_head(cwd)
    finally:
        out, err = status.communicate()
    if status.returncode != 0:
        message = err.decode(errors="surrogateescape").strip().splitlines()
        detail = message[-1] if message else f"exit code {status.returncode}"
        raise GitError(f"git status failed: {detail}")
    return repo, head, _dirty_paths_from(out)


def _dirty_paths_from(status_output: bytes) -> list[str]:
    entries = status_output.split(b"\0")
    paths: list[str] = []
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename or copy
            skip_next = False
            continue
        if len(entry) < 4:
            continue
        status = entry[:2].decode()
        paths.append(entry[3:].decode("utf-8", "surrogateescape"))
        skip_next = status[0] in "RC"
    return paths


@dataclass(frozen=True)
class RepoConfig:
    """The few config values a run records: remote URLs and the committer identity."""

    remotes: dict[str, str]
    user_name: str | None
    user_email: str | None
    branch_remote: dict[str, str]
    # runledger.secretPattern (repeatable): more names to treat as secrets (redact.py)
    secret_patterns: tuple[str, ...] = ()


def read_config(repo: Repo) -> RepoConfig:
    proc = repo.git(
        "config",
        "-z",
        "--get-regexp",
        r"^(remote\..*\.url|user\.name|user\.email|branch\..*\.remote|runledger\.secretpattern)$",
        check=False,
    )
    remotes: dict[str, str] = {}
    branch_remote: dict[str, str] = {}
    name = email = None
    secret_patterns: list[str] = []
    for item in zsplit(proc.stdout):
        key, _, value = item.partition("\n")
        if key.startswith("remote.") and key.endswith(".url"):
            remotes.setdefault(key[len("remote.") : -len(".url")], value)
        elif key.startswith("branch.") and key.endswith(".remote"):
            branch_remote[key[len("branch.") : -len(".remote")]] = value
        elif key == "user.name":
            name = value
        elif key == "user.email":
            email = value
        elif key == "runledger.secretpattern" and value.strip():
            secret_patterns.append(value.strip())
    return RepoConfig(
        remotes=remotes,
        user_name=name,
        user_email=email,
        branch_remote=branch_remote,
        secret_patterns=tuple(secret_patterns),
    )


# --- objects -------------------------------------------------------------------------------


class ObjectWriter:
    """Writes loose objects into the repository's object store, as git itself would."""

    def __init__(self, repo: Repo) -> None:
        self._dir = repo.objects_dir
        import hashlib  # here, not at the top: loading OpenSSL costs exec's start-up ~5 ms

        self._hash = hashlib.sha256 if repo.object_format == "sha256" else hashlib.sha1
        self._made_dirs: set[str] = set()

    def write(self, kind: str, payload: bytes) -> str:
        header = f"{kind} {len(payload)}\0".encode()
        oid = self._hash(header + payload).hexdigest()
        subdir = self._dir / oid[:2]
        target = subdir / oid[2:]
        if target.exists():
            return oid
        if oid[:2] not in self._made_dirs:
            subdir.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(oid[:2])
        data = zlib.compress(header + payload, 1)
        # A unique temporary name made here rather than by tempfile, whose import (with
        # shutil, random, bz2 and lzma) costs exec's start-up more than the write itself.
        tmp = subdir / f"tmp_obj_{os.getpid()}_{os.urandom(6).hex()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o444)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return oid

    def blob(self, content: bytes) -> str:
        return self.write("blob", content)

    def flat_tree(self, blobs: Mapping[str, str]) -> str:
        """A tree of regular files only: name -> blob id."""
        entries = b"".join(
            b"100644 " + name.encode() + b"\0" + bytes.fromhex(oid)
            for name, oid in sorted(blobs.items(), key=lambda item: item[0].encode())
        )
        return self.write("tree", entries)

    def commit(
        self,
        tree: str,
        parents: Sequence[str],
        ident: str,
        timestamp: int,
        message: str,
    ) -> str:
        lines = [f"tree {tree}"]
        lines += [f"parent {parent}" for parent in parents]
        lines.append(f"author {ident} {timestamp} +0000")
        lines.append(f"committer {ident} {timestamp} +0000")
        body = "\n".join(lines) + "\n\n" + message
        if not body.endswith("\n"):
            body += "\n"
        # A command line may hold undecodable bytes (lone surrogates); the message only
        # describes the run (run.toml keeps it exactly), so they are written as escapes.
        return self.write("commit", body.encode("utf-8", "backslashreplace"))


def author_ident(config: RepoConfig | None) -> str | None:
    """git's ``user.name <user.email>`` (GIT_AUTHOR_NAME/EMAIL win, as in git commit); None
    when git has no identity configured."""
    name = os.environ.get("GIT_AUTHOR_NAME") or (config.user_name if config else None)
    email = os.environ.get("GIT_AUTHOR_EMAIL") or (config.user_email if config else None)
    if not name and not email:
        return None
    return format_ident(name or "", email or "")


def format_ident(name: str, email: str) -> str:
    """A git identity line, with the characters git forbids in names removed."""
    clean_name = "".join(ch for ch in name if ch not in "<>\n") or "runledger"
    clean_email = "".join(ch for ch in email if ch not in "<>\n ")
    return f"{clean_name} <{clean_email}>"


# --- refs ----------------------------------------------------------------------------------


class RefExistsError(GitError):
    """A create-only ref update found the ref already there."""


def create_refs(repo: Repo, refs: Mapping[str, str]) -> None:
    """Create every ref in one transaction; fail (changing nothing) if any already exists."""
    if not refs:
        return
    payload = (
        b"start\0"
        + b"".join(
            b"create " + ref.encode() + b"\0" + oid.encode() + b"\0" for ref, oid in refs.items()
        )
        + b"prepare\0commit\0"
    )
    for attempt in range(LOCK_RETRIES + 1):
        proc = repo.git("update-ref", "--stdin", "-z", stdin=payload, check=False)
        if proc.returncode == 0:
            return
        stderr = proc.stderr.decode(errors="replace").strip()
        if "reference already exists" in stderr or "already exists" in stderr:
            raise RefExistsError(stderr)
        if not _lock_contention(stderr):
            raise GitError(f"git update-ref failed: {stderr}")
        if attempt == LOCK_RETRIES:
            raise GitError(_held_lock(stderr))
        _lock_backoff(attempt)


LOCK_RETRIES = 8


def _lock_contention(stderr: str) -> bool:
    """A ref or packed-refs lock held by another git process (a concurrent pack-refs, say)."""
    return "Unable to create" in stderr and ".lock" in stderr


def _held_lock(stderr: str) -> str:
    """One line for a lock that outlasted every retry: which file, and what to do."""
    import re

    found = re.search(r"Unable to create '([^']+\.lock)'", stderr)
    lock = found[1] if found else "a .lock file under the git directory"
    return (
        f"git's lock {lock} stays: another git process holds it, or one that crashed left it "
        "behind; when no git command is running in this repository, delete it and try again"
    )


def _lock_backoff(attempt: int) -> None:
    import random
    import time

    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def update_ref(repo: Repo, ref: str, new: str, old: str | None) -> None:
    """Move ``ref`` to ``new`` only if it is still at ``old`` (None: only if it does not exist)."""
    zero = "0" * (64 if repo.object_format == "sha256" else 40)
    for attempt in range(LOCK_RETRIES + 1):
        proc = repo.git("update-ref", ref, new, old or zero, check=False)
        if proc.returncode == 0:
            return
        stderr = proc.stderr.decode(errors="replace").strip()
        if not _lock_contention(stderr):
            raise RefExistsError(stderr)
        if attempt == LOCK_RETRIES:
            # not a compare-and-swap lost to a change (the caller would decide again, and
            # again, for seconds): a lock that stays, most often one a crashed git left
            raise GitError(_held_lock(stderr))
        _lock_backoff(attempt)


def delete_ref(repo: Repo, ref: str, old: str) -> None:
    """Delete ``ref`` if it still points at ``old`` (compare-and-swap; ``old`` may be missing)."""
    repo.git("update-ref", "-d", ref, old)


def list_refs(repo: Repo, prefix: str, *more: str) -> list[tuple[str, str]]:
    """(refname, object id) for every ref under ``prefix`` (and ``more``), in refname order."""
    proc = repo.git("for-each-ref", "--format=%(refname) %(objectname)", prefix, *more)
    pairs = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        ref, _, oid = line.rpartition(" ")
        pairs.append((ref, oid))
    return pairs


def list_named_refs(repo: Repo, refs: Sequence[str]) -> list[tuple[str, str]]:
    """(refname, object id) of those of ``refs`` (full names) that exist: one git call."""
    if not refs:
        return []
    proc = repo.git("for-each-ref", "--format=%(refname) %(objectname)", *refs)
    wanted = set(refs)
    pairs = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        ref, _, oid = line.rpartition(" ")
        if ref in wanted:  # a pattern also matches the refs below it (refs/x matches refs/x/y)
            pairs.append((ref, oid))
    return pairs


class RefsStamp(NamedTuple):  # a NamedTuple, not a dataclass: git.py is on exec's start-up path
    """What the files holding some refs look like now, without reading them.

    Git changes a ref by writing a lock file and renaming it, so creating, moving or deleting
    a loose ref changes its folder's mtime, and packing or deleting a packed one replaces
    packed-refs (a new inode). Comparing stamps tells whether anything may have changed since
    the last look, at the cost of a few ``stat`` calls. ``packed`` or ``loose`` is None when
    it cannot be trusted: the reftable backend, or a change so recent that another one could
    still land within the same mtime tick (git's "racy" case).
    """

    packed: str | None
    loose: str | None

    @property
    def trusted(self) -> bool:
        return self.packed is not None and self.loose is not None


# Filesystems keep mtimes at 1 s (HFS+) or 2 s (FAT) granularity: a stamp this recent may not
# show a change made right after it was taken.
RACY_WINDOW_NS = 2_000_000_000


def _file_stamp(path: Path, now_ns: int, with_size: bool) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return None
    if st.st_mtime_ns > now_ns - RACY_WINDOW_NS:
        return None
    size = f":{st.st_size}" if with_size else ""
    return f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}{size}"


def ref_subfolders(repo: Repo, prefix: str) -> list[str]:
    """The folders of loose refs directly under ``prefix`` (e.g. one per remote), as prefixes."""
    try:
        with os.scandir(repo.common_dir / prefix) as entries:
            return sorted(
                f"{prefix}{entry.name}/" for entry in entries if entry.is_dir(follow_symlinks=False)
            )
    except OSError:
        return []


def loose_refs_state(
    repo: Repo, ref_folders: Sequence[str], other_folders: Sequence[str] = ()
) -> tuple[RefsStamp, list[str] | None]:
    """The stamp of packed-refs and of the given folders, and the loose refs in ``ref_folders``.

    ``ref_folders`` (prefixes such as ``refs/runledger/runs/``) are read for the names of the
    refs directly in them; ``other_folders`` are only stamped (a parent whose mtime changes
    when a ref folder appears in it). The names are None when a ref folder holds a folder:
    then only a listing of every ref says what is there. Files are never read: git says where
    the refs point (:func:`list_named_refs`). Lock files of updates in progress are left out.
    """
    import time

    if (repo.common_dir / "reftable").is_dir():
        return RefsStamp(None, None), None
    now = time.time_ns()
    packed = _file_stamp(repo.common_dir / "packed-refs", now, with_size=True)
    stamps: list[str] = []
    names: list[str] | None = []
    for folder in sorted(other_folders):
        stamps.append(f"{folder}={_file_stamp(repo.common_dir / folder, now, with_size=False)}")
    for folder in sorted(ref_folders):
        stamp = _file_stamp(repo.common_dir / folder, now, with_size=False)
        stamps.append(f"{folder}={stamp}")
        if names is None or stamp == "missing":
            continue
        try:
            with os.scandir(repo.common_dir / folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        names = None
                        break
                    if not entry.name.endswith(".lock"):
                        names.append(folder + entry.name)
        except FileNotFoundError:
            continue
        except OSError:
            names = None
    racy = any(stamp.endswith("=None") for stamp in stamps)
    return RefsStamp(packed, None if racy else "\n".join(stamps)), names


_PACKED_HEADER = b"# pack-refs with: peeled fully-peeled sorted \n"


def create_refs_packed(repo: Repo, refs: Mapping[str, str]) -> bool:
    """Create ``refs`` straight in packed-refs, as ``git clone`` writes its refs: no loose
    file each. A pull of 100,000 runs otherwise writes 100,000 files and packs them again
    (most of its time, in the kernel).

    It follows git's own protocol for that file: ``packed-refs.lock`` is created
    exclusively (git waits on it, or fails, while it is held), the file is written whole,
    sorted, and renamed into place. False, changing nothing, when it cannot be done that
    way: the lock is held, a ref of ``refs`` exists already, the file is not laid out as
    git writes it, or the repository keeps its refs another way (reftable); the caller then
    creates them with :func:`create_refs`.
    """
    if not refs:
        return True
    storage = config_get_all(repo, "extensions.refStorage")
    if any(value.lower() != "files" for value in storage):
        return False
    packed = repo.common_dir / "packed-refs"
    lock = repo.common_dir / "packed-refs.lock"
    try:
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError:
        return False
    done = False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            try:
                current = packed.read_bytes()
            except FileNotFoundError:
                current = b""
            parsed = _packed_entries(current)
            if parsed is None:
                return False
            header, entries = parsed
            wanted = {name.encode(): oid.encode() for name, oid in refs.items()}
            if any(name in entries for name in wanted) or _any_loose(repo, refs):
                return False
            for name, oid in wanted.items():
                entries[name] = oid + b" " + name + b"\n"
            handle.write(header + b"".join(entries[name] for name in sorted(entries)))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(lock, packed)
        done = True
        return True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(lock)


def _any_loose(repo: Repo, refs: Iterable[str]) -> bool:
    """Whether one of ``refs`` exists as a loose ref file (or a folder of them). Each
    folder is listed once: a stat per ref (pathlib's) took a second at 10,000 refs."""
    listed: dict[str, set[str]] = {}
    root = str(repo.common_dir)
    for name in refs:
        folder, _, leaf = name.rpartition("/")
        names = listed.get(folder)
        if names is None:
            try:
                names = set(os.listdir(os.path.join(root, folder)))
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            listed[folder] = names
        if leaf in names:
            return True
    return False


def _packed_entries(content: bytes) -> tuple[bytes, dict[bytes, bytes]] | None:
    """packed-refs' header line and each ref's lines (its own, and the peeled line of an
    annotated tag) by ref name; None for a file not laid out as git writes it."""
    lines = content.splitlines(keepends=True)
    # Without a header nothing is known peeled: claim nothing but the order.
    header = b"# pack-refs with: sorted \n" if lines else _PACKED_HEADER
    if lines and lines[0].startswith(b"# pack-refs with:"):
        traits = lines[0][len(b"# pack-refs with:") :].split()
        # The file is rewritten sorted; "fully-peeled" stays only where it was true.
        kept = [b"peeled"] if b"peeled" in traits else []
        if b"fully-peeled" in traits:
            kept.append(b"fully-peeled")
        header = b"# pack-refs with: " + b" ".join([*kept, b"sorted"]) + b" \n"
        lines = lines[1:]
    entries: dict[bytes, bytes] = {}
    last: bytes | None = None
    for line in lines:
        if line.startswith(b"^") and last is not None:
            entries[last] += line
            continue
        oid, space, name = line.rstrip(b"\n").partition(b" ")
        if not space or not name or line.startswith(b"#") or not line.endswith(b"\n"):
            return None
        entries[name] = line
        last = name
    return header, entries


def pack_refs(repo: Repo) -> None:
    """Pack loose refs (runledger's too): listing 100,000 packed refs is 20x faster than loose.

    Best effort, and never two at once from runledger: with git 2.39, two `git pack-refs`
    running together can undo a ref update made meanwhile (measured: 18 of 480 tag moves
    lost with two packers and eight writers, none with one packer), so a runledger process
    that finds another one packing leaves the packing to it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): pack unguarded
        repo.git("pack-refs", "--all", check=False)
        return
    lock_path = repo.runledger_dir / "pack-refs.lock"
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 - held across the git call below
    except OSError:
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another runledger process is packing right now
        repo.git("pack-refs", "--all", check=False)


def gc_auto_in_background(repo: Repo) -> None:
    """Start ``git gc --auto`` and return at once, as git does after ``commit`` or ``fetch``.

    runledger writes objects with plumbing commands, which never trigger git's own automatic
    gc: a repository that only records runs (a CI machine, a sweep) would pile up loose
    objects (24 KiB a run, 2.7 KiB once packed) until a first ``gc`` of minutes. ``--auto``
    does nothing until about 6,700 objects are loose. gc packs refs too, so it runs holding
    runledger's packing lock (its process keeps the lock's file open until it ends): no
    runledger process packs meanwhile (see :func:`pack_refs`). Best effort, silent.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): left to git
        return
    lock_path = repo.runledger_dir / "pack-refs.lock"
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 - handed to the gc process
    except OSError:
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # packing or collecting already
        try:
            subprocess.Popen(
                ["git", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"],
                cwd=repo.root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=_git_env(),
                pass_fds=(handle.fileno(),),
                start_new_session=True,
            )
        except OSError:
            return


class ObjectTooLarge(GitError):
    """An object over the size its reader asked for (CatFile.read's ``limit``)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class NotAFile(GitError):
    """A path that names no file: a folder, a submodule's commit (crafted records only)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# what a tree entry is, by its mode (a regular file's mode starts with 100)
_ENTRY_KINDS = {b"120000": "symbolic link", b"40000": "folder", b"160000": "submodule link"}
_OBJECT_KINDS = {b"tree": "folder", b"commit": "submodule link", b"tag": "tag"}


@dataclass(frozen=True)
class TreeEntry:
    mode: bytes
    oid: str

    @property
    def kind(self) -> str | None:
        """None for a regular file, else what the entry is instead ('symbolic link', ...)."""
        if self.mode.startswith(b"100"):
            return None
        return _ENTRY_KINDS.get(self.mode, "special entry")


def tree_entries(data: bytes, oid_bytes: int) -> dict[str, TreeEntry]:
    """The entries of a raw tree object (``<mode> <name>\\0<oid>``...), by name."""
    entries: dict[str, TreeEntry] = {}
    at = 0
    while at < len(data):
        space = data.find(b" ", at)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 1 + oid_bytes > len(data):
            break  # a truncated tree: git itself would refuse it
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        # a name twice (crafted): the first, which git's own REF:PATH reads
        entries.setdefault(
            name, TreeEntry(data[at:space], data[nul + 1 : nul + 1 + oid_bytes].hex())
        )
        at = nul + 1 + oid_bytes
    return entries


class CatFile:
    """Reads many objects through one ``git cat-file --batch`` process."""

    def __init__(self, repo: Repo) -> None:
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=repo.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_git_env(),
        )

    def read(
        self, spec: str, limit: int | None = None, *, files_only: bool = False
    ) -> bytes | None:
        """The content of ``spec`` (e.g. ``<commit>:run.toml``), or None when it is missing.

        ObjectTooLarge when it has more than ``limit`` bytes (they are read past, not kept);
        with ``files_only``, NotAFile when it is no blob (a folder, a commit).
        """
        self._ask(spec)
        return self._read_one(limit, files_only)

    def commit_of(self, spec: str) -> str | None:
        """The id of the commit that ``spec`` (a ref's full name) names; None when it names
        none (missing, or another kind of object)."""
        self._ask(spec)
        parts = self._header()
        if parts is None:
            return None
        self._skip(int(parts[2]))
        return parts[0].decode("ascii") if parts[1] == b"commit" else None

    def _ask(self, spec: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        self._proc.stdin.flush()

    def _header(self) -> list[bytes] | None:
        """The next answer's header (id, kind, size); None for a missing object."""
        assert self._proc.stdout is not None
        header = self._proc.stdout.readline()
        if not header:
            raise GitError("git cat-file stopped unexpectedly")
        parts = header.split()
        if len(parts) < 3 or parts[-1] == b"missing" or parts[1] == b"missing":
            return None
        return parts

    def entries(self, commit: str) -> dict[str, TreeEntry]:
        """The entries of the tree of ``commit`` (a full hex id), by name; {} when missing."""
        return tree_entries(self.read(f"{commit}^{{tree}}") or b"", len(commit) // 2)

    def read_many(self, specs: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """Pipelined reads: writes requests from a thread so large batches never deadlock."""
        for spec, content in self.read_many_within(specs, None):
            assert not isinstance(content, ObjectTooLarge)
            yield spec, content

    def read_many_within(
        self, specs: Iterable[str], limit: int | None
    ) -> Iterator[tuple[str, bytes | ObjectTooLarge | None]]:
        """read_many, with an ObjectTooLarge for each object over ``limit`` bytes (read
        past, not kept)."""
        for spec, content in self._read_many(specs, limit, files_only=False):
            assert not isinstance(content, NotAFile)
            yield spec, content

    def read_files_within(
        self, specs: Iterable[str], limit: int | None
    ) -> Iterator[tuple[str, bytes | ObjectTooLarge | NotAFile | None]]:
        """read_many_within, with a NotAFile for each object that is no blob."""
        return self._read_many(specs, limit, files_only=True)

    def _read_many(
        self, specs: Iterable[str], limit: int | None, files_only: bool
    ) -> Iterator[tuple[str, bytes | ObjectTooLarge | NotAFile | None]]:
        import threading

        assert self._proc.stdin is not None
        spec_list = list(specs)
        stdin = self._proc.stdin

        def feed() -> None:
            for spec in spec_list:
                stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            stdin.flush()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for spec in spec_list:
            try:
                yield spec, self._read_one(limit, files_only)
            except (ObjectTooLarge, NotAFile) as unread:
                yield spec, unread
        writer.join()

    def _read_one(self, limit: int | None = None, files_only: bool = False) -> bytes | None:
        assert self._proc.stdout is not None
        parts = self._header()
        if parts is None:
            return None
        size = int(parts[2])
        if files_only and parts[1] != b"blob":
            self._skip(size)
            raise NotAFile(_OBJECT_KINDS.get(parts[1], "special entry"))
        if limit is not None and size > limit:
            self._skip(size)
            raise ObjectTooLarge(size)
        data = self._proc.stdout.read(size)
        self._proc.stdout.read(1)  # the newline after each object
        return data

    def _skip(self, size: int) -> None:
        """Read past an object of ``size`` bytes that is not kept."""
        assert self._proc.stdout is not None
        left = size + 1  # and the newline after it
        while left:
            chunk = self._proc.stdout.read(min(left, 1 << 20))
            if not chunk:
                raise GitError("git cat-file stopped unexpectedly")
            left -= len(chunk)

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tracked_blobs(repo: Repo, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Blob id and size of each file git tracks at ``commit`` at or under ``paths``.

    ``paths`` are posix paths relative to the work tree root ('.' for all of it). One
    ``ls-tree`` over the commit rather than ``ls-files`` over the index: what a run read is
    the commit's content, and the blob's size lets a caller notice a file whose bytes on disk
    are not the blob's (a git-lfs pointer, an eol conversion). Any git failure gives {}:
    this only saves hashing, the caller hashes what is not here.
    """
    if not paths:
        return {}
    pathspecs = [] if "." in paths else ["--", *paths]
    proc = repo.git(
        "--literal-pathspecs", "ls-tree", "-r", "-l", "-z", commit, *pathspecs, check=False
    )
    if proc.returncode != 0:
        return {}
    blobs: dict[str, tuple[str, int]] = {}
    for entry in zsplit(proc.stdout):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == "blob" and fields[3].isdigit():
            blobs[path] = (fields[2], int(fields[3]))
    return blobs


def object_types(repo: Repo, oids: Sequence[str]) -> dict[str, str | None]:
    """The type of each object (commit, tree, blob, tag), None for one missing: one call."""
    if not oids:
        return {}
    unique = list(dict.fromkeys(oids))
    proc = repo.git(
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{oid}\n" for oid in unique).encode(),
        check=False,
    )
    found: dict[str, str | None] = dict.fromkeys(unique)
    for line, oid in zip(proc.stdout.decode(errors="replace").splitlines(), unique, strict=False):
        parts = line.split()
        if len(parts) == 2 and parts[1] != "missing":
            found[oid] = parts[1]
    return found


def commit_times(repo: Repo, oids: Sequence[str]) -> dict[str, int]:
    """The committer time (Unix seconds) of each of ``oids`` that is a commit: one call."""
    if not oids:
        return {}
    proc = repo.git(
        "log",
        "--no-walk=unsorted",
        "--format=%H %ct",
        "--stdin",
        stdin="".join(f"{oid}\n" for oid in dict.fromkeys(oids)).encode(),
        check=False,
    )
    found: dict[str, int] = {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        oid, _, seconds = line.partition(" ")
        if seconds.isdigit():
            found[oid] = int(seconds)
    return found


def object_exists(repo: Repo, oid: str) -> bool:
    return repo.git("cat-file", "-e", f"{oid}^{{commit}}", check=False).returncode == 0


# --- worktrees (runledger reproduce) -------------------------------------------------------


def add_worktree(repo: Repo, path: Path, commit: str) -> None:
    """Check ``commit`` out, detached, in a new work tree at ``path``.

    The new work tree shares the repository's objects and refs (so a run recorded from it
    lands in the same ledger) and has its own HEAD and index: the user's are not touched.
    """
    repo.git("worktree", "add", "--detach", "--quiet", os.fspath(path), commit)


def remove_worktree(repo: Repo, path: Path) -> bool:
    """Remove the work tree at ``path`` and git's record of it; whether git removed it.

    ``--force`` because the re-run leaves untracked and ignored files (outputs, caches)
    behind; the prune drops the record of a work tree whose folder is already gone.
    """
    removed = repo.git("worktree", "remove", "--force", os.fspath(path), check=False)
    prune_worktrees(repo)
    return removed.returncode == 0


def prune_worktrees(repo: Repo) -> None:
    """Forget work trees whose folders are gone."""
    repo.git("worktree", "prune", check=False)


def is_ancestor(repo: Repo, ancestor: str, descendant: str) -> bool:
    """Whether commit ``ancestor`` is reachable from ``descendant`` (or is it)."""
    proc = repo.git("merge-base", "--is-ancestor", ancestor, descendant, check=False)
    if proc.returncode in (0, 1):
        return proc.returncode == 0
    raise GitError(f"git merge-base failed: {proc.stderr.decode(errors='replace').strip()}")


def rev_list(repo: Repo, start: str) -> list[str]:
    """Every commit reachable from ``start``, children before parents."""
    return repo.git("rev-list", "--topo-order", start).stdout.decode().split()


def committer_ident(repo: Repo) -> str | None:
    """``Name <email>`` as git would write it for a commit (config and GIT_* variables)."""
    proc = repo.git("var", "GIT_COMMITTER_IDENT", check=False)
    line = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or ">" not in line:
        return None
    return line[: line.rindex(">") + 1]


# The config keys that settle git's committer identity, as ``git var`` reads them.
COMMITTER_KEYS = ("committer.name", "committer.email", "user.name", "user.email")
# What git trims from both ends of an identity's name and email (ident.c's "crud").
_CRUD = frozenset(".,:;<>\"\\'")


def _without_crud(text: str) -> str:
    """``text`` as git writes it into an identity line: crud (controls, spaces and
    ``.,:;<>"\\'``) trimmed from both ends, and newlines and angle brackets removed."""
    start, end = 0, len(text)
    while start < end and (text[start] <= " " or text[start] in _CRUD):
        start += 1
    while end > start and (text[end - 1] <= " " or text[end - 1] in _CRUD):
        end -= 1
    return "".join(char for char in text[start:end] if char not in "\n<>")


def committer_ident_from(config: Mapping[str, str | None]) -> str | None:
    """What :func:`committer_ident` gives, from the values of ``COMMITTER_KEYS`` already
    read (the last one of each; None: the key without a value) and GIT_COMMITTER_NAME and
    GIT_COMMITTER_EMAIL, without a git process. None when these do not settle it (no name
    or no email configured, where git falls back on the system's account, or a value git
    would refuse): ask :func:`committer_ident` then."""
    if any(config.get(key, "") is None for key in COMMITTER_KEYS):
        return None  # a key without a value: git fails on it
    name = os.environ.get("GIT_COMMITTER_NAME")
    if name is None:
        name = config.get("committer.name") or config.get("user.name")
    email = os.environ.get("GIT_COMMITTER_EMAIL")
    if email is None:
        email = config.get("committer.email") or config.get("user.email")
    name, email = _without_crud(name or ""), _without_crud(email or "")
    if not name or not email:
        return None
    return f"{name} <{email}>"


# --- config --------------------------------------------------------------------------------


def config_get_all(repo: Repo, key: str) -> list[str]:
    """Every value of a multi-valued config ``key`` (none when it is unset)."""
    proc = repo.git("config", "-z", "--get-all", key, check=False)
    if proc.returncode not in (0, 1):
        raise GitError(f"git config failed: {proc.stderr.decode(errors='replace').strip()}")
    return zsplit(proc.stdout)


def config_last_values(repo: Repo, keys: Sequence[str]) -> dict[str, str | None]:
    """The value each of ``keys`` (lower-case names) has, as git reads it: the last one set
    (None: set without a value); absent keys are left out. One process for all of them."""
    import re

    pattern = "^(" + "|".join(re.escape(key) for key in keys) + ")$"
    proc = repo.git("config", "-z", "--get-regexp", pattern, check=False)
    if proc.returncode not in (0, 1):
        raise GitError(f"git config failed: {proc.stderr.decode(errors='replace').strip()}")
    values: dict[str, str | None] = {}
    for item in zsplit(proc.stdout):
        key, newline, value = item.partition("\n")
        values[key] = value if newline else None
    return values


def config_add(repo: Repo, key: str, value: str) -> None:
    """Add one value to a multi-valued key in the repository's own config."""
    repo.git("config", "--local", "--add", key, value)


# --- remotes -------------------------------------------------------------------------------


class RemoteError(GitError):
    """A remote could not be reached, or refused what was sent to it."""


def _git_failure(stderr: bytes) -> str:
    """The line of git's stderr that says what went wrong (the first fatal/error line)."""
    lines = [line.strip() for line in stderr.decode(errors="surrogateescape").splitlines()]
    lines = [line for line in lines if line and not line.startswith("hint:")]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line[len(prefix) :]
    return lines[-1] if lines else "no message from git"


def fetch(repo: Repo, remote: str, refspecs: Sequence[str]) -> None:
    """Fetch exactly ``refspecs`` from ``remote`` through the git binary (user's credentials).

    Nothing else changes: no tags, no FETCH_HEAD, no remote-tracking branches (``--refmap=``),
    and pruning is limited to the destinations of ``refspecs``, which must therefore only ever
    be runledger's own mirror of the remote (fetch.prune and fetch.pruneTags are overridden).
    """
    proc = repo.git(
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--refmap=",
        "--prune",
        "--no-prune-tags",
        "--recurse-submodules=no",
        # A background gc would pack refs while runledger packs them: see pack_refs.
        "--no-auto-maintenance",
        "--",
        remote,
        *refspecs,
        check=False,
    )
    if proc.returncode != 0:
        raise RemoteError(f"cannot fetch from {remote}: {_git_failure(proc.stderr)}")


def remote_refs(repo: Repo, remote: str, prefixes: Sequence[str]) -> list[tuple[str, str]]:
    """(refname, object id) of the refs under ``prefixes`` on ``remote``: one connection,
    nothing changes here."""
    patterns = [prefix + "*" for prefix in prefixes]
    proc = repo.git("ls-remote", "--refs", "--", remote, *patterns, check=False)
    if proc.returncode != 0:
        raise RemoteError(f"cannot fetch from {remote}: {_git_failure(proc.stderr)}")
    pairs = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        oid, _, ref = line.partition("\t")
        # ls-remote's patterns match the end of a name: refs/heads/refs/runledger/... too.
        if ref.startswith(tuple(prefixes)):
            pairs.append((ref, oid))
    return pairs


def fetch_objects(repo: Repo, remote: str, oids: Sequence[str]) -> None:
    """Fetch the objects ``oids`` and all they reach from ``remote``, writing no ref (nor
    FETCH_HEAD); git checks that they are complete."""
    proc = repo.git(
        "fetch",
        "--stdin",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--refmap=",
        "--no-prune",
        "--recurse-submodules=no",
        "--no-auto-maintenance",
        "--",
        remote,
        stdin="".join(f"{oid}\n" for oid in oids).encode(),
        check=False,
    )
    if proc.returncode != 0:
        raise RemoteError(f"cannot fetch from {remote}: {_git_failure(proc.stderr)}")


def objects_complete(repo: Repo, oids: Sequence[str]) -> bool:
    """Whether ``oids`` and everything they reach are here: git fetch's own check, which it
    runs before deciding that it has nothing to fetch."""
    proc = repo.git(
        "rev-list",
        "--objects",
        "--stdin",
        "--not",
        "--all",
        "--quiet",
        "--alternate-refs",
        stdin="".join(f"{oid}\n" for oid in oids).encode(),
        check=False,
    )
    return proc.returncode == 0


def has_refs(repo: Repo, prefix: str) -> bool:
    """Whether any ref lies under ``prefix`` (a folder such as ``refs/x/``), without listing
    them: a folder of loose refs there, or a binary search of packed-refs as git does (a
    ``git for-each-ref --count=1`` cost 8 ms of CPU; this, microseconds)."""
    import mmap

    common = repo.common_dir
    if (common / "reftable").is_dir():
        return bool(repo.git("for-each-ref", "--count=1", "--format=%(refname)", prefix).stdout)
    if (common / prefix).is_dir():
        return True
    try:
        with open(common / "packed-refs", "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return False
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _packed_has_prefix(data, prefix.encode())
    except FileNotFoundError:
        return False


def _packed_has_prefix(data: mmap.mmap, prefix: bytes) -> bool:
    """Whether a ref of packed-refs (``data``) starts with ``prefix``: the first line whose
    name is at least ``prefix``, found by bisection when the header says sorted."""
    lo = 0
    if data[:1] == b"#":
        lo = data.find(b"\n") + 1
        if b" sorted " not in data[:lo]:
            return any(line.startswith(prefix) for line in _packed_names(data[lo:]))
    hi = len(data)
    while lo < hi:  # every line starting before lo names a ref below prefix
        start = data.rfind(b"\n", lo, (lo + hi) // 2) + 1 or lo
        if _packed_name(data, start) < prefix:
            lo = data.find(b"\n", start) + 1 or len(data)
        else:
            hi = start
    return lo < len(data) and _packed_name(data, lo).startswith(prefix)


def _packed_name(data: mmap.mmap, start: int) -> bytes:
    """The ref named by the line at ``start`` (for a peeled line, the ref line before it)."""
    if data[start : start + 1] == b"^":
        start = data.rfind(b"\n", 0, start - 1) + 1
    end = data.find(b"\n", start)
    line = data[start : end if end >= 0 else len(data)]
    return line.partition(b" ")[2]


def _packed_names(content: bytes) -> Iterator[bytes]:
    for line in content.splitlines():
        if not line.startswith(b"^"):
            yield line.partition(b" ")[2]


@dataclass(frozen=True)
class PushedRef:
    """One line of ``git push --porcelain``: what happened to one ref."""

    flag: str  # '*' new, ' ' fast-forward, '=' up to date, '!' rejected, '+' forced, '-' deleted
    src: str
    dst: str
    summary: str
    reason: str

    @property
    def sent(self) -> bool:
        return self.flag in ("*", " ", "+")


@dataclass(frozen=True)
class PushResult:
    ok: bool
    refs: tuple[PushedRef, ...]
    error: str  # git's own message when not ok
    remote_says: tuple[str, ...] = ()  # "remote:" lines, e.g. from the remote's hooks
    hook_says: tuple[str, ...] = ()  # other lines: what a local pre-push hook printed

    @property
    def atomic_unsupported(self) -> bool:
        return "does not support --atomic" in self.error


def _parse_push_porcelain(stdout: bytes) -> list[PushedRef]:
    refs = []
    for line in stdout.decode("utf-8", "surrogateescape").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or len(parts[0]) != 1:
            continue
        src, _, dst = parts[1].partition(":")
        summary, _, reason = parts[2].partition(" (")
        refs.append(PushedRef(parts[0], src, dst, summary, reason.rstrip(")")))
    return refs


def push(repo: Repo, remote: str, refspecs: Sequence[str], *, atomic: bool) -> PushResult:
    """Push ``refspecs`` (never forced) to ``remote`` through the git binary.

    The user's hooks and credentials apply; followed tags and submodules are not pushed,
    whatever the user's push.* config says, so nothing but the given refs changes there.
    """
    args = ["push", "--porcelain", "--no-follow-tags", "--recurse-submodules=no"]
    if atomic:
        args.append("--atomic")
    proc = repo.git(*args, "--", remote, *refspecs, check=False)
    refs = tuple(_parse_push_porcelain(proc.stdout))
    error = "" if proc.returncode == 0 else _git_failure(proc.stderr)
    lines = proc.stderr.decode(errors="replace").splitlines()
    said = tuple(
        line[len("remote:") :].strip()
        for line in lines
        if line.startswith("remote:") and line[len("remote:") :].strip()
    )
    own = ("remote:", "error:", "fatal:", "hint:", "warning:", "To ", "Everything up-to-date")
    hook = tuple(line.strip() for line in lines if line.strip() and not line.startswith(own))
    return PushResult(
        ok=proc.returncode == 0, refs=refs, error=error, remote_says=said, hook_says=hook[:20]
    )


# --- code diffs between two commits (runledger diff) ---------------------------------------


@dataclass(frozen=True)
class FileStat:
    """One file of ``git diff --numstat``: lines added and deleted (None for binary files)."""

    path: str
    added: int | None
    deleted: int | None
    old_path: str | None = None  # set when the file was renamed


_DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv", "--no-color", "-M")


def diff_numstat(repo: Repo, a: str, b: str) -> list[FileStat]:
    """The files that differ between commits ``a`` and ``b``, with their line counts."""
    proc = repo.git("diff", *_DIFF_OPTIONS, "--numstat", "-z", a, b, "--")
    fields = proc.stdout.split(b"\0")
    stats: list[FileStat] = []
    i = 0
    while i < len(fields):
        head = fields[i]
        i += 1
        if not head:
            continue
        added, deleted, path = head.split(b"\t", 2)
        old_path: str | None = None
        if not path:  # a rename: "added\tdeleted\t\0old\0new\0"
            old_path = fields[i].decode("utf-8", "surrogateescape")
            path = fields[i + 1]
            i += 2
        stats.append(
            FileStat(
                path=path.decode("utf-8", "surrogateescape"),
                added=None if added == b"-" else int(added),
                deleted=None if deleted == b"-" else int(deleted),
                old_path=old_path,
            )
        )
    return stats


def diff_stat(repo: Repo, a: str, b: str, width: int = 80) -> str:
    """``git diff --stat`` between commits ``a`` and ``b``, as git prints it."""
    proc = repo.git("diff", *_DIFF_OPTIONS, f"--stat={width}", a, b, "--")
    return proc.stdout.decode("utf-8", "replace")


def diff_patch(repo: Repo, a: str, b: str) -> str:
    """The whole patch from commit ``a`` to commit ``b``."""
    proc = repo.git("diff", *_DIFF_OPTIONS, "--patch", a, b, "--")
    return proc.stdout.decode("utf-8", "replace")
