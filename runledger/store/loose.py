"""A run's record read straight from loose refs and objects, without a git process.

A run that ``exec`` just recorded is a loose ref and loose objects (git.ObjectWriter writes
them so; a small fetch unpacks into loose objects too), and a push of such runs spent more on
starting ``git cat-file`` than on everything else it reads. ``RecordReader`` answers what
``Ledger._read`` asks of a ``git.CatFile`` from those files, and asks a ``git cat-file``
(started only then) for anything stored otherwise: a packed ref or object, an object of
another object directory, or one whose file does not decompress to its name. A repository
with replacement refs (``git replace``), which git would follow, or the reftable backend is
read through git alone, so both ways read the same bytes.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from runledger.store import git

# "<kind> <size>\0" of any object fits in these many bytes ("commit 18446744073709551615\0")
_HEADER_BYTES = 32


class NotLoose(Exception):
    """Not stored here as a loose ref or object (or not as git itself would read it)."""


class LooseObjects:
    """The repository's loose refs and objects, read as files."""

    def __init__(self, repo: git.Repo) -> None:
        import hashlib  # here, not at the top: loading OpenSSL costs exec's start-up ~5 ms

        self._common = repo.common_dir
        self._objects = os.fspath(repo.objects_dir)
        self._hex = 64 if repo.object_format == "sha256" else 40
        self._hash: Any = hashlib.sha256 if repo.object_format == "sha256" else hashlib.sha1
        self._usable: bool | None = None

    def usable(self) -> bool:
        """Whether reading files gives what git gives: no replacement refs (loose, packed,
        or another namespace's) and no reftable."""
        if self._usable is None:
            self._usable = not (
                "GIT_REPLACE_REF_BASE" in os.environ
                or os.path.lexists(self._common / "refs" / "replace")
                or os.path.lexists(self._common / "reftable")
                or _mentions(self._common / "packed-refs", b"refs/replace/")
            )
        return self._usable

    def ref(self, name: str) -> str:
        """The object id a loose ref holds; NotLoose when it is not a loose ref here."""
        if not self.usable():
            raise NotLoose(name)
        try:
            with open(self._common / name, "rb") as handle:
                content = handle.read(self._hex + 2)
        except OSError:
            raise NotLoose(name) from None
        oid = content.rstrip(b"\n").decode("ascii", "replace")
        if len(oid) != self._hex or content != oid.encode() + b"\n" or not _is_hex(oid):
            raise NotLoose(name)  # a symbolic ref, or not a ref git wrote
        return oid

    def read(
        self, oid: str, limit: int | None = None, files_only: bool = False
    ) -> tuple[bytes, bytes]:
        """(kind, content) of a loose object, checked against its name. As CatFile.read:
        NotAFile when ``files_only`` and it is no blob, ObjectTooLarge when over ``limit``
        bytes (both known from its header, before the rest is decompressed)."""
        if len(oid) != self._hex or not _is_hex(oid) or not self.usable():
            raise NotLoose(oid)
        try:
            with open(f"{self._objects}/{oid[:2]}/{oid[2:]}", "rb") as handle:
                data = handle.read()
        except OSError:
            raise NotLoose(oid) from None
        inflate = zlib.decompressobj()
        try:
            head = inflate.decompress(data, _HEADER_BYTES)
            nul = head.find(b"\0")
            kind, _, size_text = head[: max(nul, 0)].partition(b" ")
            if nul < 0 or not size_text.isdigit():
                raise NotLoose(oid)
            size = int(size_text)
            if files_only and kind != b"blob":
                raise git.NotAFile(git.OBJECT_KINDS.get(kind, "special entry"))
            if limit is not None and size > limit:
                raise git.ObjectTooLarge(size)
            content = head[nul + 1 :] + inflate.decompress(inflate.unconsumed_tail, size + 1)
        except zlib.error:
            raise NotLoose(oid) from None
        if len(content) != size or self._hash(head[: nul + 1] + content).hexdigest() != oid:
            raise NotLoose(oid)
        return kind, content


class RecordReader:
    """What ``Ledger._read`` asks of a ``git.CatFile`` (``commit_of``, ``entries``, ``read``),
    from loose files where they hold it, else from one ``git cat-file`` started then."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo
        self._loose = LooseObjects(repo)
        self._cat: git.CatFile | None = None

    def _git(self) -> git.CatFile:
        if self._cat is None:
            self._cat = git.CatFile(self._repo)
        return self._cat

    def commit_of(self, spec: str) -> str | None:
        try:
            oid = self._loose.ref(spec)
            kind, _ = self._loose.read(oid)
        except NotLoose:
            return self._git().commit_of(spec)
        return oid if kind == b"commit" else None

    def entries(self, commit: str) -> dict[str, git.TreeEntry]:
        try:
            kind, content = self._loose.read(commit)
            first = content.split(b"\n", 1)[0]
            if kind != b"commit" or not first.startswith(b"tree "):
                raise NotLoose(commit)  # git peels other kinds its own way
            kind, tree = self._loose.read(first[5:].decode("ascii", "replace"))
            if kind != b"tree":
                raise NotLoose(commit)
        except NotLoose:
            return self._git().entries(commit)
        return git.tree_entries(tree, len(commit) // 2)

    def read(
        self, spec: str, limit: int | None = None, *, files_only: bool = False
    ) -> bytes | None:
        try:
            return self._loose.read(spec, limit, files_only)[1]
        except NotLoose:
            return self._git().read(spec, limit, files_only=files_only)

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()

    def __enter__(self) -> RecordReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)


def _mentions(path: os.PathLike[str], needle: bytes) -> bool:
    """Whether the file holds ``needle`` (False when there is no such file)."""
    import mmap

    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return False
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return mapped.find(needle) >= 0
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: let git read it
