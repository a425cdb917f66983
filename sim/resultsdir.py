"""What scenario runs and sweeps share about a results folder on disk.

One writer at a time (an exclusive ``flock`` that the kernel drops when its holder dies,
so a killed run never blocks its resume), atomic writes that leave no temporary file
behind, manifests, and batches of Parquet parts that carry a record (rows, size, sha256)
so that resume can tell a complete part from a damaged one. Operating-system errors
become one line naming the path (``StorageError``), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.codebook import describe
from sim.errors import TrustsimError

LOCK = ".lock"
MANIFEST = "manifest.json"
DAMAGED = "damaged"


class StorageError(TrustsimError):
    """A results folder that cannot be written or read (permissions, full disk, a folder
    in use). ``exit_code`` is 2 before any run started, 1 when runs were under way."""

    exit_code = 2


def os_error(path: Path | str, exc: OSError, doing: str = "cannot write") -> StorageError:
    """One line for an OSError: the path, what failed and the system's reason."""
    reason = exc.strerror or str(exc)
    return StorageError(f"{doing} ({reason}; errno {exc.errno or '?'})", source=str(path))


@contextlib.contextmanager
def storage_errors(path: Path | str, doing: str = "cannot write") -> Iterator[None]:
    """Turn an OSError raised inside into a StorageError about ``path``."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        raise os_error(getattr(exc, "filename", None) or path, exc, doing) from None


# -- atomic writes ---------------------------------------------------------------------
def write_atomic(path: Path, data: bytes | Callable[[Any], Any]) -> None:
    """Write ``data`` (bytes, or a function writing to a binary file) to a temporary name
    beside ``path``, sync it, then rename it into place. On any failure the temporary
    file is removed and ``path`` is left as it was."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with storage_errors(path):
            with open(tmp, "wb") as fh:
                data(fh) if callable(data) else fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(data, indent=2, default=str) + "\n").encode())


def require_regular(path: Path) -> Path:
    """``path`` if it is a regular file (or a link to one); OSError otherwise, so that a
    FIFO or device planted in a results folder is never opened (a FIFO blocks its reader
    forever)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return path


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file; OSError for anything else (see ``require_regular``).
    Opened without blocking and checked on the open file, so a swap after the check
    cannot make it block."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read()


def read_manifest(folder: Path, error: type[TrustsimError], what: str,
                  name: str = MANIFEST) -> dict[str, Any]:
    """The manifest (``name``) of a results folder; ``error`` (one line) when there is
    none or it cannot be read. ``what`` names the kind of folder in the message."""
    path = Path(folder) / name
    try:
        data = json.loads(read_regular(path))
    except FileNotFoundError:
        raise error(f"not a {what} (no {name})", source=str(folder)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise error(f"cannot read {name} ({reason})", source=str(path)) from None
    except RecursionError:
        raise error(f"cannot read {name} (nested too deeply)", source=str(path)
                    ) from None
    if not isinstance(data, dict):
        raise error(f"{name} is not a JSON object", source=str(path))
    return data


def mark_incomplete(folder: Path, name: str = MANIFEST, **fields: Any) -> None:
    """Best effort after a failure: set the manifest's (``name``) status to
    ``incomplete`` (and ``fields``) if it can still be written; a full or read-only disk
    leaves it as it was."""
    with contextlib.suppress(OSError, TrustsimError, ValueError):
        data = json.loads((folder / name).read_text())
        data.update(status="incomplete", **fields)
        write_json(folder / name, data)


# -- one writer at a time --------------------------------------------------------------
class FolderLock:
    """An exclusive lock on a results folder, held while a run, sweep or calibration
    writes there. A second writer gets one line naming the holder's PID. The kernel
    releases the lock when its holder exits or is killed, so a stale lock never blocks."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        while True:
            with storage_errors(self.folder, "cannot create the results folder"):
                self.folder.mkdir(parents=True, exist_ok=True)
            with storage_errors(self.path, "cannot lock the results folder"):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
                             | getattr(os, "O_NOFOLLOW", 0), 0o644)
            try:
                _lock_exclusive(fd)
            except OSError as exc:
                holder = _read_pid(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise os_error(self.path, exc, "cannot lock the results folder") from None
                who = f"process {holder}" if holder else "another process"
                raise StorageError(f"in use by another trustsim run ({who} is writing "
                                   "there); wait for it to finish or choose another --out",
                                   source=str(self.folder)) from None
            if _same_file(fd, self.path):  # not a lock file its last holder just removed
                break
            os.close(fd)
        with contextlib.suppress(OSError):  # the PID only names the holder; a full disk
            os.ftruncate(fd, 0)               # must not stop the run here
            os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file (while still holding the lock), then unlock."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_exclusive(fd: int) -> None:
    """Lock an open file without waiting (OSError when another process holds it):
    ``flock`` on POSIX, ``msvcrt.locking`` of its first byte on Windows; both end with
    the holder's process."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise OSError(errno.EACCES, exc.strerror or "locked") from None
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        with open(os.dup(fd), "rb") as fh:  # os.pread is POSIX only
            fh.seek(0)
            return int(fh.read(32).decode().strip() or 0) or None
    return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = path.stat(follow_symlinks=False)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


# -- only what trustsim wrote -----------------------------------------------------------
def foreign_entries(folder: Path, files: list[str], dirs: list[str]) -> list[str]:
    """Entries under ``folder`` (relative, ``/``-separated) that trustsim does not write:
    files matching none of the ``files`` patterns, folders matching none of ``dirs``,
    and every symbolic link. ``--overwrite`` refuses a folder that has any."""
    files_re, dirs_re = [re.compile(p) for p in files], [re.compile(p) for p in dirs]
    found: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found.append(rel)
        elif path.is_dir():
            if not any(p.fullmatch(rel) for p in dirs_re):
                found.append(rel + "/")
        elif not any(p.fullmatch(rel) for p in files_re):
            found.append(rel)
    return found


def remove_entries(folder: Path, files: list[str]) -> None:
    """Delete the files under ``folder`` that match ``files`` (after ``foreign_entries``
    found none foreign), then the folders left empty; ``folder`` itself and its lock stay."""
    files_re = [re.compile(p) for p in files]
    with storage_errors(folder, "cannot clear the results folder"):
        paths = sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True)
        for path in paths:
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or rel == LOCK:
                continue
            if path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty
            elif any(p.fullmatch(rel) for p in files_re):
                path.unlink()


# -- batches of parts ------------------------------------------------------------------
def parquet_bytes(table: pa.Table, **options: Any) -> bytes:
    """A table serialised as a Parquet file, in memory (to checksum it before writing)."""
    sink = io.BytesIO()
    pq.write_table(describe(table), sink, **options)  # fields described: sim.codebook
    return sink.getvalue()


def write_batch(root: Path, parts: list[tuple[Path, pa.Table]], record: Path,
                **options: Any) -> None:
    """Write a batch of parts: every part but the last, then a record of each part's rows,
    size and sha256 (keyed by its path under ``root``), then the last part, which
    commits the batch."""
    blobs = [(path, table.num_rows, parquet_bytes(table, **options)) for path, table in parts]
    entries = {path.relative_to(root).as_posix():
               {"rows": rows, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
               for path, rows, blob in blobs}
    for path, _, blob in blobs[:-1]:
        _write_part(path, blob)
    _write_part(record, (json.dumps({"parts": entries}, indent=1) + "\n").encode())
    _write_part(blobs[-1][0], blobs[-1][2])


def _write_part(path: Path, blob: bytes) -> None:
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, blob)


def verify_batch(root: Path, parts: list[Path], record: Path, checksum: bool = True
                 ) -> str | None:
    """Why a committed batch is damaged (one phrase), or None when every part is whole:
    each part's size, sha256 (unless not ``checksum``: readers skip it, it reads every
    byte) and row count match the batch record. A batch without a record (written before
    records existed) passes when each part's footer reads."""
    expected: dict[str, Any] = {}
    if record.exists():
        try:
            expected = json.loads(read_regular(record))["parts"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            return f"its record {record.name} cannot be read ({exc})"
        if not isinstance(expected, dict):
            return f"its record {record.name} cannot be read (parts is not a mapping)"
    for path in parts:
        want = expected.get(path.relative_to(root).as_posix())
        if not path.exists():
            if want is not None:
                return f"{path.relative_to(root)} is missing"
            continue
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block its reader
            return f"{path.relative_to(root)} is not a regular file"
        try:
            if want is not None and checksum:
                blob = read_regular(path)
                if len(blob) != want["bytes"]:
                    return (f"{path.relative_to(root)} has {len(blob)} bytes, expected "
                            f"{want['bytes']}")
                if hashlib.sha256(blob).hexdigest() != want["sha256"]:
                    return f"{path.relative_to(root)} does not match its checksum"
            rows = pq.ParquetFile(path).metadata.num_rows
        except (OSError, pa.ArrowException) as exc:
            reason = " ".join(str(exc).split())[:80]
            return f"{path.relative_to(root)} is not valid Parquet ({reason})"
        if want is not None and rows != want["rows"]:
            return f"{path.relative_to(root)} has {rows} rows, expected {want['rows']}"
    return None


def set_aside(root: Path, paths: list[Path], reason: str) -> None:
    """Move the files of a damaged batch to ``root/damaged/`` (never deleted), with one
    warning line on standard error, so that its runs are run again."""
    moved = []
    for path in paths:
        if not path.exists():
            continue
        target = root / DAMAGED / path.relative_to(root)
        with storage_errors(target, "cannot set aside a damaged part"):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        moved.append(path.relative_to(root).as_posix())
    print(f"trustsim: warning: {root}: {reason}; set aside {', '.join(moved)} in "
          f"{root / DAMAGED} and its runs will run again", file=sys.stderr)
