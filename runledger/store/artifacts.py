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
  (a bucket lifecycle rule clears those). A folder of this machine's (Linux) gets the bytes in
  a file without a name (``O_TMPFILE``) that is linked to the object's name once complete:
  nothing is left by a killed push, and an object is never overwritten. Elsewhere (a folder
  without unnamed files, ssh) the bytes go to ``<url>/tmp/<random>`` and are renamed into
  place.
- The store checks what it receives where it can: an S3 single put carries the object's
  sha256 (its name) as ``ChecksumSHA256``, and S3 refuses a body that does not hash to it.
- Which objects a store holds is asked with listings, not a request per object: a listing
  answers for up to a thousand names (S3, GCS and Azure page at 1,000), where asking s3fs
  about one absent object costs two requests (a HEAD and a listing). ``listing`` reads one
  two-hex-digit folder, or all of them; ``transfers.stored_sizes`` picks the cheaper.
- Every downloaded byte is sha256-checked before it lands. From a local folder the bytes are
  hashed as they are copied (one read of the object). From a remote store the provider's own
  streamed copy (one GET, as a plain fsspec copy does) writes a temporary file beside the
  destination, whose bytes are hashed from the page cache: on S3 while they arrive (the
  download reports each write; the file is written in order, once), elsewhere once it is
  complete; on S3 an object of ``SMALL_OBJECT`` or less is fetched whole into memory, with
  others on the event loop, and hashed before anything is written (``download_small``). An
  object whose bytes do not hash to its name is refused (``CorruptObjectError``)
  and nothing is written where the user asked. botocore's own check of a download's body (a
  CRC32 or SHA-256 of it, computed as it arrives) is turned off on our client: it would hash
  every byte a second time for a weaker check.
- Memory is bounded whatever the file size. An upload to an object store holds
  ``upload_memory(size)`` bytes of the file. A file below ``SINGLE_PUT_LIMIT`` goes in one
  put (the requests a plain s3fs copy makes; a multipart upload of it costs a local S3 half
  as much CPU again) whose body, on S3, is the open file, read and sent a chunk at a time
  (``STREAM_BUFFER``): s3fs's own put reads such a file whole and the HTTP client copies it
  again, +192 MiB for one 96 MiB file, where the streamed put peaks 2 MiB above its start,
  in the same time. A larger file goes ``PART_CONCURRENCY`` parts of ``CHUNK_SIZE`` at a
  time (s3fs would otherwise read ten parts at once; with the HTTP client's copy, 64 MiB).
  The transfers hold all uploads together to a budget (``transfers.UPLOAD_MEMORY``). A
  download is one streamed GET (``RANGE_CONCURRENCY``: recent s3fs would otherwise download
  a file above 50 MiB as ten 50 MiB ranges held in memory). On S3 objects of ``SMALL_OBJECT``
  or less, sent or fetched together, are held whole: a download at most its recorded size
  and a byte, whatever the store holds.
- fsspec and the provider package are optional (extras ``runledger[s3]``, ``[gcs]``,
  ``[azure]``, ``[ssh]``), imported only here and only when a store is used.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import functools
import hashlib
import importlib
import os
import re
import secrets
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runledger import config as project_config
from runledger.errors import RunledgerError, UserError
from runledger.redact import strip_url_credentials
from runledger.store import git
from runledger.store.hashcache import CHUNK_SIZE as READ_SIZE
from runledger.store.hashcache import sha256_file

GIT_CONFIG_KEY = "runledger.store"
MIB = 1024 * 1024
CHUNK_SIZE = 16 * MIB  # a multipart upload's part (smaller parts cost a local S3 a fifth)
# A file below this goes to an object store in one put, read whole (s3fs's own threshold:
# two of its 50 MiB default parts); a larger one in parts.
SINGLE_PUT_LIMIT = 100 * MIB
# What a streamed single put holds of its file at once: the client hashes the body for its
# signature and checksum 1 MiB at a time, and the HTTP client sends it in smaller chunks.
STREAM_BUFFER = MIB
# Parts of one larger file in flight at once (s3fs's max_concurrency for put_file).
PART_CONCURRENCY = 2
# An object this size or smaller is sent to or fetched from S3 whole in memory, with others on
# the event loop (``upload_small``, ``download_small``); a larger one is streamed.
SMALL_OBJECT = MIB
# A local download's buffer: each chunk is read, hashed and written while it is still in the
# core's cache (16 files of 16 MiB, 4 threads, 15 interleaved rounds: 353 ms of CPU against
# 388 ms with 1 MiB; 512 KiB 346, 128 KiB 375).
COPY_BUFFER = 256 * 1024
# Ranges of one file downloaded at once (s3fs's max_concurrency, set on our instance): one
# streamed GET, written in order. Parallelism comes from several files at once (--jobs).
RANGE_CONCURRENCY = 1
# A temporary file under <url>/tmp/ older than this is what a killed push left behind.
STALE_TEMPORARY_SECONDS = 3600
PART_SUFFIX = ".runledger-part"  # a download's file beside its destination, until it is checked
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

Advance = Callable[[int], None]


class StoreError(UserError):
    """The store cannot be reached, or refused what was asked of it."""


class CorruptObjectError(StoreError):
    """An object's bytes do not hash to its name."""


class NoStoreError(UserError):
    """No store is configured."""


@dataclass(frozen=True)
class StoreSettings:
    """What a command that moves bytes reads from git config, in one ``git config``
    process: the store's URL and who is pushing (None: git's own defaults would decide it,
    see ``git.committer_ident_from``)."""

    url: str | None
    pushed_by: str | None


def read_settings(repo: git.Repo) -> StoreSettings:
    """The store's URL: ``git config runledger.store`` first (personal), then the repository's
    ``.runledger.toml [store] url`` (shared); None when neither is set. A plain relative path
    is taken from the repository's root. With it, the committer identity from the same
    config read (a manifest's ``pushed_by``), which took a ``git var`` process of its own."""
    values = git.config_last_values(repo, (GIT_CONFIG_KEY, *git.COMMITTER_KEYS))
    personal = (values.get(GIT_CONFIG_KEY) or "").strip()
    url = personal or project_config.load(repo.root).store_url
    if url is not None and "://" not in url and not os.path.isabs(url):
        # A plain folder (a shared drive beside the clones) is relative to the repository's
        # root, as every path in .runledger.toml is, not to wherever the command runs.
        url = os.path.normpath(repo.root / url)
    return StoreSettings(url, git.committer_ident_from(values))


def configured_url(repo: git.Repo) -> str | None:
    """The store's URL (``read_settings``); None when none is configured."""
    return read_settings(repo).url


def open_configured(repo: git.Repo, settings: StoreSettings | None = None) -> ObjectStore:
    """The configured store (from ``settings`` when already read); NoStoreError saying how
    to configure one when there is none."""
    url = (settings or read_settings(repo)).url
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


_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


@dataclass
class ObjectStore:
    """One store: an fsspec filesystem and the root path of runledger's objects in it."""

    url: str  # as configured; may carry a user name, so never shown: see ``shown``
    fs: Any  # fsspec.AbstractFileSystem (fsspec is optional, so not named in annotations)
    root: str
    atomic_put: bool
    local: bool = False  # a folder of this machine's: objects are read and written with os calls
    # Folders a download went to whose stale ``.runledger-part`` files were removed.
    _swept_folders: set[Path] = field(default_factory=set, repr=False)
    # A local store's two-hex-digit folders known to exist (``local_sizes`` listed them, or an
    # upload made them): an upload into one of them makes no folder first.
    _fanout_folders: set[str] = field(default_factory=set, repr=False)

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
            fs.max_concurrency = RANGE_CONCURRENCY  # our own instance (skip_instance_cache)
        _skip_response_checksums(fs)
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
            raise self._failed(doing, error) from error

    def _failed(self, doing: str, error: Exception) -> StoreError:
        reason = str(error).strip().splitlines()
        detail = reason[0] if reason else type(error).__name__
        return StoreError(
            f"the store {self.shown} failed while {doing}: {strip_url_credentials(detail)}"
        )

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

    def local_sizes(self, shas: Sequence[str]) -> dict[str, int | None]:
        """A local store's size of each object (None: not stored), with one listing of its
        two-hex-digit folders and a ``stat`` only for objects whose folder exists: a first
        push into an empty store asks nothing per object. The folders found are remembered
        for the uploads that follow."""
        objects = f"{self.root}/{OBJECTS_DIR}"
        with self.reaching("listing its objects"):
            try:
                self._fanout_folders.update(os.listdir(objects))
            except (FileNotFoundError, NotADirectoryError):
                return dict.fromkeys(shas)
        return {sha: self.size_of(sha) if sha[:2] in self._fanout_folders else None for sha in shas}

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

    def upload_memory(self, size: int) -> int:
        """The bytes of a file of ``size`` that its upload holds in memory at once."""
        if self.local:
            return 0  # the kernel's copy, through no buffer of ours
        if not self.atomic_put:
            return min(size, 2 * CHUNK_SIZE)  # the provider's streamed put
        if size < SINGLE_PUT_LIMIT:
            # one put: streamed from the file (s3; a file of a chunk or less is read whole,
            # as a plain copy does), or read whole (the provider's put)
            return min(size, STREAM_BUFFER) if self.streams_puts else size
        return PART_CONCURRENCY * CHUNK_SIZE

    def upload(
        self,
        path: str | Path,
        sha256: str,
        advance: Advance,
        checked: os.stat_result | None = None,
    ) -> None:
        """Copy a local file (already checked to hash to ``sha256``, as it was when stat'ed
        as ``checked``) to its object; UserError when the file changed since."""
        target = self.path_of(sha256)
        before = os.stat(path) if checked is None else checked
        if self.local:
            # as ``reaching`` does, without a context manager and a message made per file
            try:
                self._upload_local(path, target, before)
            except RunledgerError:
                raise
            except Exception as error:  # noqa: BLE001 - as in reaching
                raise self._failed(f"uploading {os.path.basename(path)}", error) from error
            advance(before.st_size)
            return
        progress = _progress_callback(advance)
        with self.reaching(f"uploading {os.path.basename(path)}"):
            if self.atomic_put:
                checksum = self.checksum_options(sha256)
                if STREAM_BUFFER < before.st_size < SINGLE_PUT_LIMIT and self.streams_puts:
                    self._put_streamed(path, target, before.st_size, checksum)
                else:
                    options: dict[str, Any] = {"chunksize": CHUNK_SIZE}
                    if before.st_size < SINGLE_PUT_LIMIT:
                        # a part larger than the file: one put (s3fs puts below two parts)
                        options["chunksize"] = max(CHUNK_SIZE, before.st_size + 1)
                        options.update(checksum)
                    elif hasattr(self.fs, "max_concurrency"):
                        options["max_concurrency"] = PART_CONCURRENCY
                    self.fs.put_file(os.fspath(path), target, callback=progress, **options)
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

    @property
    def streams_puts(self) -> bool:
        """Whether a single put can send the file as a stream (s3fs: its client's
        ``put_object`` takes an open file and sends it in chunks; s3fs's own single put
        reads the file whole, and the HTTP client holds a second copy while it is sent)."""
        return (
            getattr(self.fs, "loop", None) is not None
            and all(hasattr(self.fs, name) for name in ("set_session", "get_s3", "split_path"))
            and any(name in ("s3", "s3a") for name in _protocols(self.fs))
        )

    def checksum_options(self, sha256: str) -> dict[str, str]:
        """What a single put sends so that the store itself checks the bytes it received
        against the object's name: on S3 the object's sha256 as ``ChecksumSHA256`` (S3
        refuses the put with ``BadDigest`` when the body does not hash to it, and keeps it
        for ``HeadObject``/``GetObject`` with checksum mode). The hash is the name, known
        before the put, so the client computes none (botocore would otherwise compute a
        CRC32 of the body). None elsewhere, and not for a multipart upload: S3 keeps no
        whole-object SHA-256 of those, only one per part."""
        if not any(name in ("s3", "s3a") for name in _protocols(self.fs)):
            return {}
        digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        return {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": digest}

    def _put_streamed(
        self, path: str | Path, target: str, size: int, checksum: dict[str, str] | None = None
    ) -> None:
        """One ``put_object`` of the whole file whose body is the open file, read and sent in
        chunks: memory of a chunk, not of the file (a plain s3fs put of a 96 MiB file holds
        it twice). The client's own retries rewind the file (it is seekable); s3fs's outer
        retry is not used, since it would send the file again from where the first try
        stopped."""
        from fsspec.asyn import sync

        fs = self.fs
        bucket, key, _ = fs.split_path(target)

        async def put() -> None:
            await fs.set_session()
            client = await fs.get_s3(bucket)
            with open(path, "rb") as body:
                options: dict[str, Any] = {
                    "Bucket": bucket,
                    "Key": key,
                    "Body": body,
                    "ContentLength": size,
                    **(checksum or {}),
                }
                method_options = getattr(fs, "_get_s3_method_kwargs", None)
                if callable(method_options):  # the user's s3_additional_kwargs (encryption…)
                    options = method_options(client.put_object, **options)
                await client.put_object(**options)

        sync(fs.loop, put)
        fs.invalidate_cache(target)

    def remove_stale_temporaries(self, now: float | None = None) -> int:
        """Remove what killed pushes left under ``<url>/tmp/`` (stores that upload through a
        temporary name): files older than ``STALE_TEMPORARY_SECONDS``. A push still running
        elsewhere wrote its temporary file more recently. Best effort; returns how many."""
        if self.atomic_put:
            return 0
        oldest = (time.time() if now is None else now) - STALE_TEMPORARY_SECONDS
        folder = f"{self.root}/{TEMP_DIR}"
        removed = 0
        with contextlib.suppress(Exception):
            if self.local:
                with os.scandir(folder) as entries:
                    stale = [e.path for e in entries if e.stat().st_mtime < oldest]
                for path in stale:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                        removed += 1
                return removed
            for info in self.fs.ls(folder, detail=True):
                when = _timestamp(info.get("mtime", info.get("LastModified")))
                if info.get("type") == "file" and when is not None and when < oldest:
                    with contextlib.suppress(Exception):
                        self.fs.rm_file(info["name"])
                        removed += 1
        return removed

    def _upload_local(self, path: str | Path, target: str, before: os.stat_result) -> None:
        """A kernel copy into a file that has no name until it is complete (Linux's
        ``O_TMPFILE``, in the object's own folder), then linked to the object's name: an
        object is never visible partial, a killed push leaves nothing behind, and an object
        that appeared meanwhile is never overwritten (the link fails; its name says its
        bytes). Where the filesystem has no unnamed files (NFS, SMB, macOS, Windows), the
        copy goes to ``<root>/tmp/`` and is renamed into place. Neither uses fsspec's local
        put and move, nor ``shutil.copyfile`` (their checks, globbing and four stats per
        file cost many small files as much as the copy)."""
        folder = os.path.dirname(target)
        self._make_fanout_folder(folder)
        source = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            out = _open_unnamed(folder)
            if out is None:
                self._upload_renamed(source, path, target, before)
                return
            try:
                _kernel_copy(source, out, before.st_size)
                _check_unchanged(path, os.fstat(source), before)
                try:
                    # linkat() of /proc/self/fd/N with AT_SYMLINK_FOLLOW (open(2)'s own
                    # recipe; no privilege needed); the path is absolute, so the directory
                    # descriptor (src_dir_fd, which makes Python call linkat) is ignored
                    os.link(f"/proc/self/fd/{out}", target, src_dir_fd=out, follow_symlinks=True)
                except FileExistsError:
                    pass  # stored meanwhile (another push): kept, never overwritten
                except OSError:
                    self._upload_renamed(source, path, target, before)  # no /proc here
            finally:
                os.close(out)
        finally:
            os.close(source)

    def _make_fanout_folder(self, folder: str) -> None:
        """Make an object's two-hex-digit folder unless it is known to exist: one ``mkdir``
        (a first push into an empty store makes one for most of its objects), where trying
        the unnamed file first, then ``os.makedirs``, cost a failed open and a ``stat`` more."""
        name = os.path.basename(folder)
        if name in self._fanout_folders:
            return
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)  # the store's first object
        self._fanout_folders.add(name)

    def _upload_renamed(
        self, source: int, path: str | Path, target: str, before: os.stat_result
    ) -> None:
        """The copy through a named temporary file under ``<root>/tmp/``, renamed into
        place (the same folder tree, so the rename is atomic)."""
        temporary = f"{self.root}/{TEMP_DIR}/{secrets.token_hex(8)}"
        try:
            try:
                out = _create(temporary)
            except FileNotFoundError:
                os.makedirs(f"{self.root}/{TEMP_DIR}", exist_ok=True)
                out = _create(temporary)
            try:
                _kernel_copy(source, out, before.st_size)
            finally:
                os.close(out)
            # the file copied (not whatever is at its path now) is the one checked
            _check_unchanged(path, os.fstat(source), before)
            try:
                os.replace(temporary, target)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def download(self, sha256: str, size: int, destination: Path, advance: Advance) -> None:
        """Copy an object into ``destination`` (atomically) once its sha256 is checked.

        The bytes go to a temporary file beside the destination, which is renamed into place
        only when they hash to the object's name: from a local folder hashed as they are
        copied, from a remote store (the provider's own streamed copy: one GET, not a range
        request per chunk) read back from the page cache, on S3 as they arrive. CorruptObjectError
        when the bytes are not the ones the name promises; nothing is written then.
        """
        with self._part_beside(destination) as (handle, temporary):
            try:
                if self.local:
                    owned, handle = handle, -1  # _copy_hashing closes it
                    with self.reaching(f"downloading {destination.name}"):
                        received, got = self._copy_hashing(
                            self.path_of(sha256), owned, size, advance
                        )
                else:
                    os.close(handle)
                    handle = -1
                    with self.reaching(f"downloading {destination.name}"):
                        received, got = self._fetch_hashing(sha256, temporary, size, advance)
                    if got != sha256 and self.follows_downloads:
                        got = sha256_file(temporary, size)  # the whole file, to be sure
                if got != sha256 or received != size:
                    raise _refused(sha256, destination, f"its {received} bytes hash to {got[:16]}…")
                os.replace(temporary, destination)
            finally:
                if handle >= 0:
                    with contextlib.suppress(OSError):
                        os.close(handle)

    @contextlib.contextmanager
    def _part_beside(self, destination: Path) -> Iterator[tuple[int, str]]:
        """A temporary file beside ``destination`` (its descriptor and path) for an object's
        bytes, which the caller renames into place once they are checked; removed when the
        caller fails instead (an ``unlink`` after the rename would only fail, once a file)."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=PART_SUFFIX, dir=self._folder_of(destination)
        )
        try:
            yield handle, temporary
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _folder_of(self, destination: Path) -> Path:
        """The destination's folder, made if missing; what a killed ``get`` left in it is
        removed the first time this store writes there."""
        parent = destination.parent
        if not parent.is_dir():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as error:  # a file where a folder goes
                raise UserError(
                    f"cannot write {destination}: {error.filename or parent} is a file, not a "
                    "folder"
                ) from error
        elif parent not in self._swept_folders:
            self._swept_folders.add(parent)
            remove_stale_parts(parent)
        return parent

    @property
    def moves_small_together(self) -> bool:
        """Whether small objects are sent and fetched together on the provider's event loop
        (``upload_small``, ``download_small``): s3fs, whose ``_put_file`` of a small file and
        ``_cat_file`` are one request each."""
        return (
            any(name in ("s3", "s3a") for name in _protocols(self.fs))
            and getattr(self.fs, "loop", None) is not None
            and all(hasattr(self.fs, name) for name in ("_cat_file", "_put_file", "_rm_file"))
        )

    def upload_small(
        self,
        files: Sequence[tuple[str | Path, str, os.stat_result]],
        advance: Advance,
        jobs: int,
        uploaded: Callable[[str], None],
    ) -> None:
        """Upload files of 1 to ``SMALL_OBJECT`` bytes, given as (path, sha256, its stat when
        it was checked), ``jobs`` at once as coroutines on the provider's event loop: each one
        put of the file read whole, carrying its checksum, as ``upload`` sends it, but with no
        thread or wake-up per file. ``uploaded(sha256)`` is called once each is stored. A
        file changed since it was checked is removed from the store again and raises
        UserError, as in ``upload``; the first failure is raised once the files being sent
        are done."""
        pending = iter(files)
        failed: list[tuple[BaseException, str]] = []  # the first error, and the file it hit

        async def send_next() -> None:
            for path, sha256, before in pending:
                if failed:
                    return
                target = self.path_of(sha256)
                try:
                    await self.fs._put_file(
                        os.fspath(path),
                        target,
                        chunksize=max(CHUNK_SIZE, before.st_size + 1),
                        **self.checksum_options(sha256),
                    )
                    if _changed_since(path, before):
                        await self.fs._rm_file(target)
                        raise UserError(f"{path} changed while it was uploaded: run the push again")
                except BaseException as error:  # noqa: BLE001 - raised in the caller's thread
                    failed.append((error, os.path.basename(path)))
                    return
                advance(before.st_size)
                uploaded(sha256)

        self._together("uploading", min(jobs, len(files)), send_next, failed)

    def download_small(
        self, wanted: Sequence[tuple[str, int, Path]], advance: Advance, jobs: int
    ) -> list[CorruptObjectError | None]:
        """Download objects of 1 to ``SMALL_OBJECT`` bytes, given as (sha256, size,
        destination), ``jobs`` at once as coroutines on the provider's event loop: no thread,
        wake-up or temporary file to read back per object (with them, 300 objects of 32 KiB
        took a quarter more of this process's CPU than a plain fsspec copy of them).

        Each is one GET of at most its recorded size and one byte more (a larger object
        cannot fill memory: at most ``jobs`` × ``SMALL_OBJECT`` bytes are held), hashed in
        memory, and only when its bytes hash to its name written to a temporary file beside
        its destination and renamed into place. Returns, for each, None when it was written,
        or the CorruptObjectError that refused it (nothing written); any other failure
        raises once the objects being fetched are done.
        """
        results: list[CorruptObjectError | None] = [None] * len(wanted)
        pending = iter(enumerate(wanted))
        failed: list[tuple[BaseException, str]] = []  # the first error, and the file it hit

        async def fetch_next() -> None:
            for index, (sha256, size, destination) in pending:
                if failed:
                    return
                try:
                    data = await self.fs._cat_file(self.path_of(sha256), start=0, end=size + 1)
                    results[index] = self._land(sha256, size, destination, data)
                except BaseException as error:  # noqa: BLE001 - raised in the caller's thread
                    failed.append((error, destination.name))
                    return
                advance(len(data))

        self._together("downloading", min(jobs, len(wanted)), fetch_next, failed)
        return results

    def _together(
        self,
        doing: str,
        workers: int,
        worker: Callable[[], Coroutine[Any, Any, None]],
        failed: list[tuple[BaseException, str]],
    ) -> None:
        """Run ``workers`` copies of ``worker`` on the provider's event loop until all end,
        then raise the first failure they noted (the error, and the name of its file)."""
        import asyncio

        from fsspec.asyn import sync

        async def all_of_them() -> None:
            await asyncio.gather(*(worker() for _ in range(workers)))

        with self.reaching(doing):
            sync(self.fs.loop, all_of_them)
        if failed:
            error, name = failed[0]
            with self.reaching(f"{doing} {name}"):
                raise error

    def _land(
        self, sha256: str, size: int, destination: Path, data: bytes
    ) -> CorruptObjectError | None:
        """Write an object's downloaded bytes to ``destination`` (through a temporary file
        beside it) when they hash to its name; the CorruptObjectError otherwise."""
        if len(data) > size:
            return _refused(sha256, destination, f"it holds more than the {size} bytes recorded")
        got = hashlib.sha256(data).hexdigest()
        if got != sha256 or len(data) != size:
            return _refused(sha256, destination, f"its {len(data)} bytes hash to {got[:16]}…")
        with self._part_beside(destination) as (handle, temporary):
            with open(handle, "wb", buffering=0) as out:
                view = memoryview(data)
                while view:
                    view = view[out.write(view) or 0 :]
            os.replace(temporary, destination)
        return None

    @property
    def follows_downloads(self) -> bool:
        """Whether a download's bytes are hashed as they arrive: s3fs, whose streamed GET
        (one range at a time, ``RANGE_CONCURRENCY``) writes the file in order, each byte
        once (a retry goes on from the bytes already written), and reports each write."""
        return (
            RANGE_CONCURRENCY == 1
            and any(name in ("s3", "s3a") for name in _protocols(self.fs))
            and getattr(self.fs, "loop", None) is not None
            and hasattr(self.fs, "_get_file")
        )

    def _fetch_hashing(
        self, sha256: str, temporary: str, size: int, advance: Advance
    ) -> tuple[int, str]:
        """Download an object into the (empty) file ``temporary``; (bytes, hex sha256).

        On S3 the file is hashed while it is written: the download runs on fsspec's event
        loop, and this thread reads back and hashes each stretch the download reports written
        (from the page cache, through a descriptor of its own). Elsewhere it is hashed once
        the provider's copy is complete.
        """
        if not self.follows_downloads:
            progress = _progress_callback(advance)
            self.fs.get_file(self.path_of(sha256), temporary, callback=progress)
            received = os.stat(temporary).st_size
            advance(received - progress.seen)
            return received, sha256_file(temporary, size)
        import asyncio

        with _Follower(temporary, size) as follower:
            progress = _progress_callback(advance, follower.wrote)
            coroutine = self.fs._get_file(self.path_of(sha256), temporary, callback=progress)
            future = asyncio.run_coroutine_threadsafe(coroutine, self.fs.loop)
            future.add_done_callback(lambda _: follower.wake())
            while not future.done():
                follower.wait(future.done)
                follower.catch_up(follower.written)
            future.result()
            received = os.stat(temporary).st_size
            advance(received - progress.seen)
            return received, follower.finish(temporary)

    @staticmethod
    def _copy_hashing(source: str, handle: int, size: int, advance: Advance) -> tuple[int, str]:
        """Copy a local object into the open file ``handle`` (which this closes), hashing
        each chunk between its read and its write: the bytes written are the bytes hashed,
        read once, in one reused buffer of ``COPY_BUFFER`` (no larger than the expected
        ``size`` needs: a buffer zeroed for each small file would cost more than copying it).
        Returns (bytes copied, hex sha256)."""
        digest = hashlib.sha256()
        buffer = bytearray(min(COPY_BUFFER, max(size, 0) + 1))
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


def _refused(sha256: str, destination: Path, why: str) -> CorruptObjectError:
    return CorruptObjectError(
        f"the store's object {object_key(sha256)[:24]}… does not match its name "
        f"({why}): refused, {destination.name} not written; delete that object from the "
        "store and push the file again from a machine that has it"
    )


# A new object file's permissions (before the umask), as a plain copy makes them.
OBJECT_MODE = 0o666


def _create(path: str) -> int:
    """A new file at ``path``, open for writing; FileExistsError when there is one."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, OBJECT_MODE)


def _open_unnamed(folder: str) -> int | None:
    """A new file without a name in ``folder`` (created if missing), open for writing; None
    where the system or filesystem has no such files."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or sys.platform != "linux":
        return None
    for attempt in (1, 2):
        try:
            return os.open(folder, flag | os.O_WRONLY, OBJECT_MODE)
        except FileNotFoundError:
            if attempt == 2:
                raise
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            # not supported by this filesystem (EOPNOTSUPP), or a kernel before 3.11 that
            # takes the flag for O_DIRECTORY (EISDIR, EINVAL)
            if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOTSUP):
                return None
            raise
    return None


def _check_unchanged(path: str | Path, copied: os.stat_result, before: os.stat_result) -> None:
    if _identity(copied) != _identity(before):
        raise UserError(f"{path} changed while it was uploaded: run the push again")


def _kernel_copy(source: int, out: int, size: int) -> None:
    """Copy the open file ``source`` (from its start) into the open, empty file ``out``: by
    the kernel (``sendfile``) where it can, else through a buffer. The kernel's copy stops
    at the ``size`` the file had when it was checked, without a last call to find its end
    (a file that grew or shrank since fails the caller's check of its stat)."""
    offset = 0
    if hasattr(os, "sendfile") and sys.platform == "linux":
        try:
            while offset < size and (sent := os.sendfile(out, source, offset, size - offset)):
                offset += sent
            return
        except OSError as error:
            if offset or error.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
                raise  # not a filesystem without sendfile: a real failure
    os.lseek(source, 0, os.SEEK_SET)
    while chunk := os.read(source, READ_SIZE):
        view = memoryview(chunk)
        while view:
            view = view[os.write(out, view) :]


def _skip_response_checksums(fs: Any) -> None:
    """On S3, no checksum of a download's body by the client (botocore 1.36 and later asks
    S3 for the object's stored checksum and computes it over the body as it arrives): every
    download is sha256-checked against the object's name here, a stronger check, and a
    second pass over the body costs as much CPU again (an object pushed with its
    ``ChecksumSHA256`` would be hashed twice). A user's own ``response_checksum_validation``
    in the store's ``config_kwargs`` is kept."""
    if not any(name in ("s3", "s3a") for name in _protocols(fs)):
        return
    settings = getattr(fs, "config_kwargs", None)
    if not isinstance(settings, dict) or "response_checksum_validation" in settings:
        return
    try:
        config = importlib.import_module("botocore.config")
    except ImportError:
        return
    if "response_checksum_validation" in getattr(config.Config, "OPTION_DEFAULTS", {}):
        # a copy: the dict may be the user's fsspec configuration
        fs.config_kwargs = {**settings, "response_checksum_validation": "when_required"}


def _protocols(fs: Any) -> tuple[str, ...]:
    return fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


def _changed_since(path: str | Path, before: os.stat_result) -> bool:
    return _identity(os.stat(path)) != _identity(before)


def _progress_callback(advance: Advance, also: Advance | None = None) -> Any:
    """An fsspec Callback that forwards each chunk's size to ``advance`` (and ``also``)."""
    return _forwarding_class()(advance, also)


@functools.cache
def _forwarding_class() -> Any:
    """The Callback class of ``_progress_callback``, made once (fsspec is imported lazily)."""
    from fsspec.callbacks import Callback

    class Forward(Callback):  # type: ignore[misc]
        def __init__(self, advance: Advance, also: Advance | None) -> None:
            super().__init__()
            self.seen = 0
            self.advance = advance
            self.also = also

        def relative_update(self, inc: int = 1) -> None:
            self.seen += inc
            self.advance(inc)
            if self.also is not None:
                self.also(inc)

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.seen)

    return Forward


def _timestamp(value: Any) -> float | None:
    """A listing's modification time (seconds, or a datetime) as seconds since the epoch."""
    if isinstance(value, int | float):
        return float(value)
    timestamp = getattr(value, "timestamp", None)
    return float(timestamp()) if callable(timestamp) else None


def remove_stale_parts(folder: Path, now: float | None = None) -> None:
    """Remove what a killed ``get`` left in ``folder``: its ``.NAME.XXXX.runledger-part``
    files older than ``STALE_TEMPORARY_SECONDS`` (a download still running writes its part
    more recently). Any error is ignored: this is tidying, never the download's business."""
    oldest = (time.time() if now is None else now) - STALE_TEMPORARY_SECONDS
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        stale = [
            entry.path
            for entry in entries
            if entry.name.startswith(".")
            and entry.name.endswith(PART_SUFFIX)
            and entry.is_file(follow_symlinks=False)
            and entry.stat(follow_symlinks=False).st_mtime < oldest
        ]
        for path in stale:
            with contextlib.suppress(OSError):
                os.unlink(path)


class _Follower:
    """Hashes a file that a download writes in order, as it grows: the download reports each
    write (``wrote``, from its own thread) and the hashing thread reads back what is written
    (``catch_up``) through a descriptor of its own, in a reused buffer."""

    STEP = 4 * MIB  # bytes written that wake the hashing thread

    def __init__(self, path: str, size: int) -> None:
        self.stream = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by __exit__
        self.digest = hashlib.sha256()
        self.buffer = bytearray(min(READ_SIZE, max(size, 0) + 1))
        self.hashed = 0
        self.written = 0
        self.due = self.STEP  # bytes written at which the hashing thread is next woken
        self.changed = threading.Condition()

    def __enter__(self) -> _Follower:
        return self

    def __exit__(self, *_: object) -> None:
        self.stream.close()

    def wrote(self, nbytes: int) -> None:
        self.written += nbytes
        if self.written >= self.due:
            self.wake()

    def wake(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait(self, done: Callable[[], bool]) -> None:
        """Until a stretch is written to hash, or ``done()`` (checked under the lock that
        ``wake`` takes, so no wake-up is missed)."""
        with self.changed:
            self.changed.wait_for(lambda: done() or self.written >= self.due, timeout=1.0)

    def catch_up(self, limit: int | None) -> None:
        """Hash the file's bytes up to ``limit`` (None: to its end) that are written; the
        next wake-up is due a STEP further on (bytes still in the writer's buffer wait)."""
        self.due = self.written + self.STEP
        view = memoryview(self.buffer)
        while limit is None or self.hashed < limit:
            room = len(view) if limit is None else min(len(view), limit - self.hashed)
            read = self.stream.readinto(view[:room])
            if not read:
                return  # written but still in the writer's buffer: next time
            self.digest.update(view[:read])
            self.hashed += read

    def finish(self, path: str) -> str:
        """The hex sha256 of the whole file, once the download is complete."""
        if os.fstat(self.stream.fileno()).st_ino != os.stat(path).st_ino:
            return sha256_file(path)  # the download replaced the file: hash what is there
        self.catch_up(None)
        return self.digest.hexdigest()
