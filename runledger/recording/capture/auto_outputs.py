"""The files a run wrote without declaring them (its checkpoints, models, results), recorded
after it ends as if declared with ``--output``: same records, same ``which``, ``verify``,
``get`` and ``store push``.

Two sources:

- What a Python program saved, as the in-process capture saw it (``saved`` lines): the path
  given to ``torch.save``, safetensors' ``save_file``, ``joblib.dump``, a booster's
  ``save_model``, Keras' ``save``, Lightning's checkpoint IO, the folder of Hugging Face's
  ``save_pretrained``, made absolute at the call.
  Recorded wherever it is: outside the work tree by its absolute path, as a declared absolute
  output is.
- The walk of the work tree after the run (worktree.list_files, the one the metric files use):
  files written since the run started that git does not track, inside a folder named as
  programs name their results (``out/``, ``runs/``, ``checkpoints/``, ``work_dirs/`` ...) or
  named as weights are (``*.pt``, ``*.safetensors``, ``*.onnx``, ``*.pkl`` ...). This finds
  what no hook sees: a program that is not Python, or one that writes its bytes itself
  (ultralytics and mmengine serialise into memory and write the buffer). Any other file
  written elsewhere (a dataset downloaded into ``data/``) is not an output unless declared:
  hashing every download of a first run would cost more than it tells.

Not outputs: TensorBoard event files and the metric logs read into the run's series (they are
its metrics), anything in a git directory, files the run only read (their time is older than
the run). Nor, among the walk's files, what a result folder holds about how the run went
rather than what it made, which the record has already: logs (``train.log``, Hydra's
``<job>.log``: the run's output is recorded) and config dumps (Hydra's ``.hydra/`` and
``multirun.yaml``, Lightning's ``hparams.yaml``: its params are recorded). Someone asking which
run made a file asks about its weights, predictions and reports; a file named as weights is
an output wherever it is, and a declared or saved file always is.

Bounds: MAX_AUTO_OUTPUTS files and HASH_BUDGET_BYTES hashed per run (about 20 s at
the ~1.5 GB/s of SHA-NI; minutes on a loaded machine, where 100-250 MB/s was measured, but a
run that wrote 32 GiB took longer to write them); what is left out is said in one warning,
with the fix: a declared --output is hashed whatever its size.

This module only finds them (stat, no reading): the hashing, and its imports (sqlite3 for the
hash cache), is pointers.record_found's, for a run that wrote something.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from runledger.recording.capture.freshness import written_since
from runledger.recording.capture.worktree import RESULT_FOLDERS, Listing, list_files
from runledger.store import git

MAX_AUTO_OUTPUTS: Final = 1000
HASH_BUDGET_BYTES: Final = 32 << 30
WEIGHT_SUFFIXES: Final = (
    ".pt", ".pth", ".ckpt", ".safetensors", ".bin", ".h5", ".hdf5", ".keras", ".onnx",
    ".tflite", ".pb", ".joblib", ".pkl", ".pickle", ".gguf", ".ggml", ".msgpack", ".cbm",
    ".ubj", ".model", ".mlmodel", ".pdparams", ".pth.tar", ".engine",
)  # fmt: skip
_METRIC_LOG_PREFIX: Final = "events.out.tfevents."
# What a result folder holds about the run rather than from it (see above): not outputs.
_LOG_SUFFIX: Final = ".log"
_CONFIG_DUMPS: Final = frozenset({"hparams.yaml", "multirun.yaml"})
_CONFIG_DUMP_FOLDER: Final = ".hydra"
# Above this many paths, one ls-tree of the whole commit beats a command line of pathspecs.
_PATHSPECS_AT_MOST: Final = 200


@dataclass(frozen=True)
class Written:
    """A file the run wrote: absolute path, path as recorded, its lstat."""

    path: str
    recorded: str  # relative to the root in posix form, absolute outside it
    st: os.stat_result


@dataclass(frozen=True)
class FoundOutputs:
    """The outputs to record (within the bounds, in order), those left out, and why the walk
    was cut short (None: it saw the whole tree)."""

    chosen: list[Written] = field(default_factory=list)
    left: list[Written] = field(default_factory=list)
    cut: str | None = None

    def notes(self) -> list[str]:
        """What to tell the user about what was not recorded."""
        notes = []
        if self.left:
            count, size = len(self.left), sum(item.st.st_size for item in self.left)
            notes.append(
                f"{count} file{'s' * (count != 1)} the run wrote ({_size(size)}) not recorded: "
                f"automatic outputs stop at {MAX_AUTO_OUTPUTS} files and "
                f"{_size(HASH_BUDGET_BYTES)} hashed per run (first left out: "
                f"{self.left[0].recorded}); declare them with --output to record them"
            )
        if self.cut is not None:
            notes.append(
                f"{self.cut} and found no output; files it did not reach were not looked at: "
                "declare the run's outputs with --output to record them (auto_outputs = false "
                "in .runledger.toml turns the search off)"
            )
        return notes


def find_outputs(
    repo: git.Repo,
    commit: str,
    started_after: float,
    listing: Listing,
    saved: Sequence[str],
    not_outputs: Collection[str],
    saved_elsewhere: Collection[str] = (),
) -> FoundOutputs:
    """The files the run wrote, saved ones first, then the walk's in path order.

    ``saved``: absolute paths the program saved to (files or folders); ``not_outputs``:
    recorded paths already recorded or known to be no output (declared outputs, metric logs);
    ``saved_elsewhere``: real paths (files or folders) that another process running beside
    this one saved (a sweep's other trials, claims.py): the walk's files at or under them are
    theirs. A file the walk finds that git tracks at ``commit`` is code, not an output.
    """
    root = repo.root.resolve()
    found: dict[str, Written] = {}
    for item in _saved_files(saved, root, started_after, (repo.git_dir, repo.common_dir)):
        found.setdefault(item.recorded, item)
    walked = sorted(_walked_files(listing, root, started_after), key=lambda item: item.recorded)
    code = _tracked(repo, commit, [item.recorded for item in walked if item.recorded not in found])
    for item in walked:
        if item.recorded not in code and not _under_any(item.path, saved_elsewhere):
            found.setdefault(item.recorded, item)
    chosen: list[Written] = []
    left: list[Written] = []
    hashed = 0
    for path, item in found.items():
        if path in not_outputs:
            continue
        size = item.st.st_size
        if len(chosen) >= MAX_AUTO_OUTPUTS or hashed + size > HASH_BUDGET_BYTES:
            left.append(item)
        else:
            chosen.append(item)
            hashed += size
    return FoundOutputs(chosen, left, listing.cut)


def _under_any(path: str, folders: Collection[str]) -> bool:
    """Whether ``path`` is one of ``folders`` or inside one (each of its parents is looked up:
    a walk's path is a few folders deep, where claims may be a thousand)."""
    if not folders:
        return False
    while True:
        if path in folders:
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def _tracked(repo: git.Repo, commit: str, paths: Sequence[str]) -> Collection[str]:
    if not paths:
        return ()
    specs = list(paths) if len(paths) <= _PATHSPECS_AT_MOST else ["."]
    return git.tracked_blobs(repo, commit, specs).keys()


def _saved_files(
    saved: Sequence[str], root: Path, started_after: float, private: Sequence[Path]
) -> Iterator[Written]:
    """The files at or under the paths the program saved to, written during the run; not a
    library's cache outside the work tree (PyKEEN's datasets under ``~/.data``)."""
    hidden = tuple(os.path.join(os.path.realpath(folder), "") for folder in private)
    inside = os.path.join(str(root), "")
    for given in saved:
        path = os.path.realpath(given)
        if os.path.join(path, "").startswith(hidden):
            continue
        if not path.startswith(inside) and _in_hidden_home_folder(path):
            continue
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            continue  # a temporary file, moved or deleted since: the walk may find where to
        if stat.S_ISDIR(st.st_mode):  # save_pretrained(folder)
            for entry in list_files(Path(path)).files:
                found = _fresh(entry.path, root, started_after)
                if found is not None:
                    yield found
        elif stat.S_ISREG(st.st_mode) and written_since(st.st_mtime_ns, started_after):
            yield Written(path, _recorded(path, root), st)


def _in_hidden_home_folder(path: str) -> bool:
    """Whether ``path`` is in a dot-folder of the home (``~/.cache``, ``~/.data``, ``~/.keras``):
    where libraries keep what they download and derive, never a result of one run."""
    home = os.path.join(os.path.realpath(os.path.expanduser("~")), "")
    return path.startswith(home) and path[len(home) :].startswith(".")


def _walked_files(listing: Listing, root: Path, started_after: float) -> Iterator[Written]:
    """The walk's files in result folders or named as weights, written during the run."""
    prefix = os.path.join(str(root), "")
    # by folder (thousands of files share a few folders): in a result folder, in a config dump
    seen: dict[str, tuple[bool, bool]] = {}
    for entry in listing.files:
        name = entry.name
        folder = entry.path[: -len(name)]
        if name.startswith(_METRIC_LOG_PREFIX) or not folder.startswith(prefix):
            continue
        where = seen.get(folder)
        if where is None:
            parts = folder[len(prefix) :].split(os.sep)
            where = seen[folder] = (
                not RESULT_FOLDERS.isdisjoint(parts),
                _CONFIG_DUMP_FOLDER in parts,
            )
        inside, in_dump = where
        lowered = name.lower()
        if lowered.endswith(WEIGHT_SUFFIXES) or (
            inside
            and not in_dump
            and not lowered.endswith(_LOG_SUFFIX)
            and lowered not in _CONFIG_DUMPS
        ):
            found = _fresh(entry.path, root, started_after)
            if found is not None:
                yield found


def _fresh(path: str, root: Path, started_after: float) -> Written | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not written_since(st.st_mtime_ns, started_after):
        return None
    return Written(path, _recorded(path, root), st)


def _recorded(path: str, root: Path) -> str:
    located = Path(path)
    if located.is_relative_to(root):
        return located.relative_to(root).as_posix()
    return located.as_posix()


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
