"""The object store: the bytes of artifacts and inputs, content-addressed, on any fsspec URL.

A team configures one store (``.runledger.toml`` ``[store] url``; ``git config
runledger.store URL`` overrides it for one person). Each file's bytes live once at
``<url>/sha256/ab/cdef…`` (the first two hex digits, then the rest), so the same model or
dataset pushed by two runs, or two teams, is stored once. An object is never overwritten: a
name that exists holds those bytes, and is skipped.

Decisions:
- Credentials come from the provider's own chain (environment variables, profiles, instance
  roles; ``FSSPEC_S3_ENDPOINT_URL`` and the like for fsspec's own settings). runledger passes
  none and records none; a URL's user part is dropped from every message.
- A partial upload never leaves a visible object. On object stores (S3, GCS, Azure) an object
  appears only when its single put or its multipart upload completes, and s3fs aborts the
  multipart upload on an error; a killed process leaves only an invisible incomplete upload
  (a bucket lifecycle rule clears those). Elsewhere (a local or mounted folder, ssh) the bytes
  go to ``<url>/tmp/<random>`` and are renamed into place.
- Which objects a store holds is asked with listings, not a request per object: a listing
  answers for up to a thousand names (S3, GCS and Azure page at 1,000), where asking s3fs
  about one absent object costs two requests (a HEAD and a listing). ``listing`` reads one
  two-hex-digit folder, or all of them; ``transfers.stored_sizes`` picks the cheaper.
- Every downloaded byte is sha256-checked before it lands. From a local folder the bytes are
  hashed as they are copied (one read of the object). From a remote store the provider's own
  streamed copy (one GET, as a plain fsspec copy does) writes a temporary file beside the
  destination, which is hashed once it is complete (from the page cache, while the other
  transfers run). An object whose bytes do not hash to its name is refused
  (``CorruptObjectError``) and nothing is written where the user asked.
- Memory is bounded by ``CHUNK_SIZE`` per transfer whatever the file size: s3fs sends a file
  below two chunks in one put and a larger one in parts of one chunk (16 MiB: smaller parts
  cost a fifth of the throughput against a local S3 in benchmarks/bench_store.py), one part
  at a time (``PART_CONCURRENCY``; recent s3fs would otherwise read ten parts at once, and
  download a file above 50 MiB as ten 50 MiB ranges held in memory).
- fsspec and the provider package are optional (extras ``runledger[s3]``, ``[gcs]``,
  ``[azure]``, ``[ssh]``), imported only here and only when a store is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runledger import config as project_config
from runledger.errors import RunledgerError, UserError
from runledger.redact import strip_url_credentials
from runledger.store import git
from runledger.store.hashcache import CHUNK_SIZE as READ_SIZE
from runledger.store.hashcache import sha256_file

GIT_CONFIG_KEY = "runledger.store"
CHUNK_SIZE = 16 * 1024 * 1024
# Parts of one file in flight at once (s3fs's max_concurrency): memory per transfer is this
# many CHUNK_SIZE parts. Parallelism comes from transferring several files at once (--jobs).
PART_CONCURRENCY = 1
OBJECTS_DIR = "sha256"
MANIFESTS_DIR = "runs"
TEMP_DIR = "tmp"
# The protocols whose objects appear only once complete (single put, or a completed
# multipart/resumable/block upload): written in place. Every other store gets temp + rename.
ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
EXTRAS = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "adl": "azure",
    "ssh": "ssh",
    "sftp": "ssh",
}
SHA256_HEX = 64

Advance = Callable[[int], None]


class StoreError(UserError):
    """The store cannot be reached, or refused what was asked of it."""


class CorruptObjectError(StoreError):
    """An object's bytes do not hash to its name."""


class NoStoreError(UserError):
    """No store is configured."""


def configured_url(repo: git.Repo) -> str | None:
    """The store's URL: ``git config runledger.store`` first (personal), then the repository's
    ``.runledger.toml [store] url`` (shared); None when neither is set. A plain relative path
    is taken from the repository's root."""
    personal = [value.strip() for value in git.config_get_all(repo, GIT_CONFIG_KEY)]
    url = personal[-1] if personal and personal[-1] else project_config.load(repo.root).store_url
    if url is not None and "://" not in url and not os.path.isabs(url):
        # A plain folder (a shared drive beside the clones) is relative to the repository's
        # root, as every path in .runledger.toml is, not to wherever the command runs.
        url = os.path.normpath(repo.root / url)
    return url


def open_configured(repo: git.Repo) -> ObjectStore:
    """The configured store; NoStoreError saying how to configure one when there is none."""
    url = configured_url(repo)
    if url is None:
        raise NoStoreError(
            'no store is configured: add [store] url = "s3://bucket/prefix" to '
            f"{project_config.CONFIG_FILE} (any fsspec URL), or run "
            f"'git config {GIT_CONFIG_KEY} URL'"
        )
    return ObjectStore.open(url)


def object_key(sha256: str) -> str:
    """The object's path below the store's URL."""
    return f"{OBJECTS_DIR}/{sha256[:2]}/{sha256[2:]}"


def is_sha256(text: str) -> bool:
    return len(text) == SHA256_HEX and all(ch in "0123456789abcdef" for ch in text)


@dataclass
class ObjectStore:
    """One store: an fsspec filesystem and the root path of runledger's objects in it."""

    url: str  # as configured; may carry a user name, so never shown: see ``shown``
    fs: Any  # fsspec.AbstractFileSystem (fsspec is optional, so not named in annotations)
    root: str
    atomic_put: bool
    local: bool = False  # a folder of this machine's: objects are read and written with os calls

    @classmethod
    def open(cls, url: str) -> ObjectStore:
        protocol = url.partition("://")[0].lower() if "://" in url else "file"
        extra = EXTRAS.get(protocol, "store")
        try:
            import fsspec
            from fsspec.implementations.local import LocalFileSystem
        except ImportError as error:
            raise UserError(
                f"the store {strip_url_credentials(url)} needs fsspec: "
                f"pip install 'runledger[{extra}]'"
            ) from error
        try:
            fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True)
        except ImportError as error:
            raise UserError(
                f"the store {strip_url_credentials(url)} needs the {protocol}:// package: "
                f"pip install 'runledger[{extra}]'"
            ) from error
        except ValueError as error:
            raise UserError(
                f"the store URL {strip_url_credentials(url)} is not one fsspec knows ({error})"
            ) from error
        protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        atomic = any(name in ATOMIC_PUT_PROTOCOLS for name in protocols)
        if hasattr(fs, "max_concurrency"):
            fs.max_concurrency = PART_CONCURRENCY  # our own instance (skip_instance_cache)
        local = isinstance(fs, LocalFileSystem)
        return cls(url, fs, str(root).rstrip("/"), atomic, local)

    @property
    def shown(self) -> str:
        return strip_url_credentials(self.url)

    def path_of(self, sha256: str) -> str:
        return f"{self.root}/{object_key(sha256)}"

    @contextlib.contextmanager
    def reaching(self, doing: str) -> Iterator[None]:
        """Whatever the provider raises becomes one StoreError naming the store."""
        try:
            yield
        except RunledgerError:
            raise
        except Exception as error:  # noqa: BLE001 - every provider raises its own kinds
            reason = str(error).strip().splitlines()
            detail = reason[0] if reason else type(error).__name__
            raise StoreError(
                f"the store {self.shown} failed while {doing}: {strip_url_credentials(detail)}"
            ) from error

    # --- objects ---------------------------------------------------------------------------

    def size_of(self, sha256: str) -> int | None:
        """The stored object's size; None when it is not there."""
        with self.reaching("checking for an object"):
            if self.local:
                try:
                    st = os.stat(self.path_of(sha256))
                except (FileNotFoundError, NotADirectoryError):
                    return None
                return st.st_size if stat.S_ISREG(st.st_mode) else None
            try:
                info = self.fs.info(self.path_of(sha256))
            except FileNotFoundError:
                return None
        if info.get("type") == "directory":
            return None
        size = info.get("size")
        return int(size) if size is not None else None

    def listing(self, prefix: str = "") -> dict[str, int]:
        """The stored objects whose names start with ``prefix`` (two hex digits; "" for all),
        with their sizes: one listing (a request per thousand objects), however many."""
        where = f"{self.root}/{OBJECTS_DIR}" + (f"/{prefix}" if prefix else "")
        with self.reaching("listing its objects"):
            self.fs.invalidate_cache(where)  # what this process saw earlier may be stale
            try:
                found = self.fs.find(where, detail=True)
            except FileNotFoundError:
                return {}
        sizes: dict[str, int] = {}
        for name, info in found.items():
            parts = str(name).rstrip("/").rsplit("/", 2)
            if len(parts) != 3 or len(parts[1]) != 2 or info.get("type", "file") != "file":
                continue
            sha256 = parts[1] + parts[2]
            if is_sha256(sha256) and info.get("size") is not None:
                sizes[sha256] = int(info["size"])
        return sizes

    def upload(self, path: Path, sha256: str, advance: Advance) -> None:
        """Copy a local file (already checked to hash to ``sha256``) to its object."""
        target = self.path_of(sha256)
        before = os.stat(path)
        if self.local:
            with self.reaching(f"uploading {path.name}"):
                self._upload_local(path, target, before)
            advance(before.st_size)
            return
        progress = _progress_callback(advance)
        with self.reaching(f"uploading {path.name}"):
            if self.atomic_put:
                self.fs.put_file(os.fspath(path), target, callback=progress, chunksize=CHUNK_SIZE)
                if _changed_since(path, before):
                    self.fs.rm_file(target)
                    raise UserError(f"{path} changed while it was uploaded: run the push again")
            else:
                temporary = f"{self.root}/{TEMP_DIR}/{secrets.token_hex(8)}"
                self.fs.makedirs(f"{self.root}/{TEMP_DIR}", exist_ok=True)
                try:
                    self.fs.put_file(os.fspath(path), temporary, callback=progress)
                    if _changed_since(path, before):
                        raise UserError(f"{path} changed while it was uploaded: run the push again")
                    self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                    self.fs.mv(temporary, target)
                finally:
                    with contextlib.suppress(Exception):
                        if self.fs.exists(temporary):
                            self.fs.rm_file(temporary)
        advance(before.st_size - progress.seen)

    def _upload_local(self, path: Path, target: str, before: os.stat_result) -> None:
        """A kernel copy into ``<root>/tmp/`` and a rename into place (the same folder tree,
        so the rename is atomic and free): what fsspec's local put and move do, without
        their checks and globbing per call."""
        temporary = f"{self.root}/{TEMP_DIR}/{secrets.token_hex(8)}"
        try:
            try:
                shutil.copyfile(path, temporary)
            except FileNotFoundError:
                if not os.path.exists(path):
                    raise
                os.makedirs(f"{self.root}/{TEMP_DIR}", exist_ok=True)
                shutil.copyfile(path, temporary)
            if _changed_since(path, before):
                raise UserError(f"{path} changed while it was uploaded: run the push again")
            try:
                os.replace(temporary, target)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def download(self, sha256: str, size: int, destination: Path, advance: Advance) -> None:
        """Copy an object into ``destination`` (atomically) once its sha256 is checked.

        The bytes go to a temporary file beside the destination, which is renamed into place
        only when they hash to the object's name: from a local folder hashed as they are
        copied, from a remote store (the provider's own streamed copy: one GET, not a range
        request per chunk) once the copy is complete. CorruptObjectError when the bytes are
        not the ones the name promises; nothing is written then.
        """
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".runledger-part", dir=destination.parent
        )
        try:
            if self.local:
                owned, handle = handle, -1  # _copy_hashing closes it
                with self.reaching(f"downloading {destination.name}"):
                    received, got = self._copy_hashing(self.path_of(sha256), owned, size, advance)
            else:
                os.close(handle)
                handle = -1
                progress = _progress_callback(advance)
                with self.reaching(f"downloading {destination.name}"):
                    self.fs.get_file(self.path_of(sha256), temporary, callback=progress)
                received = os.stat(temporary).st_size
                advance(received - progress.seen)
                got = sha256_file(temporary, size)
            if got != sha256 or received != size:
                raise CorruptObjectError(
                    f"the store's object {object_key(sha256)[:24]}… does not match its name "
                    f"(its {received} bytes hash to {got[:16]}…): refused, {destination.name} "
                    "not written; delete that object from the store and push the file again "
                    "from a machine that has it"
                )
            os.replace(temporary, destination)
        finally:
            if handle >= 0:
                with contextlib.suppress(OSError):
                    os.close(handle)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    @staticmethod
    def _copy_hashing(source: str, handle: int, size: int, advance: Advance) -> tuple[int, str]:
        """Copy a local object into the open file ``handle`` (which this closes), hashing
        each chunk between its read and its write: the bytes written are the bytes hashed,
        read once, in one reused buffer (no larger than the expected ``size`` needs: a
        megabyte zeroed for each small file would cost more than copying it). Returns
        (bytes copied, hex sha256)."""
        digest = hashlib.sha256()
        buffer = bytearray(min(READ_SIZE, max(size, 0) + 1))
        view = memoryview(buffer)
        received = 0
        with open(handle, "wb", buffering=0) as out, open(source, "rb", buffering=0) as stream:
            while read := stream.readinto(buffer):
                chunk = view[:read]
                digest.update(chunk)
                written = 0
                while written < read:
                    written += out.write(chunk[written:]) or 0
                received += read
                advance(read)
        return received, digest.hexdigest()

    # --- manifests -------------------------------------------------------------------------

    def manifest_path(self, run_id: str) -> str:
        return f"{self.root}/{MANIFESTS_DIR}/{run_id}.toml"

    def read_manifest(self, run_id: str) -> bytes | None:
        with self.reaching("reading a run's manifest"):
            try:
                return bytes(self.fs.cat_file(self.manifest_path(run_id)))
            except FileNotFoundError:
                return None

    def write_manifest(self, run_id: str, content: bytes) -> None:
        """Write (or replace: a manifest only ever grows) a run's manifest, atomically."""
        target = self.manifest_path(run_id)
        with self.reaching("writing a run's manifest"):
            self.fs.makedirs(f"{self.root}/{MANIFESTS_DIR}", exist_ok=True)
            if self.atomic_put:
                self.fs.pipe_file(target, content)
                return
            temporary = f"{self.root}/{TEMP_DIR}/{secrets.token_hex(8)}"
            self.fs.makedirs(f"{self.root}/{TEMP_DIR}", exist_ok=True)
            self.fs.pipe_file(temporary, content)
            self.fs.mv(temporary, target)


def _changed_since(path: Path, before: os.stat_result) -> bool:
    after = os.stat(path)
    return (after.st_size, after.st_mtime_ns, after.st_ino) != (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def _progress_callback(advance: Advance) -> Any:
    """An fsspec Callback that forwards each chunk's size (fsspec is imported lazily)."""
    from fsspec.callbacks import Callback

    class Forward(Callback):  # type: ignore[misc]
        seen = 0

        def relative_update(self, inc: int = 1) -> None:
            self.seen += inc
            advance(inc)

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.seen)

    return Forward()
