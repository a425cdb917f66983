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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.codebook import describe
from sim.errors import TrustsimError, show_value

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


# -- no links, regular files only -------------------------------------------------------
def subfolder(root: Path, *parts: str) -> Path:
    """``root/parts...`` made where missing, for writing: a component that is a symbolic
    link (or not a folder) is refused in one line, so that a link planted inside a results
    folder never sends a write, a cleanup or a move outside it. Every writer into a
    subfolder of a results folder goes through here (runs, sweeps, reruns, figures)."""
    folder = Path(root)
    for part in parts:
        folder = folder / part
        with storage_errors(folder, "cannot create a folder"):
            try:
                folder.mkdir()
            except FileExistsError:
                pass
            mode = folder.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise StorageError("is a symbolic link; trustsim never writes through a link "
                               "inside a results folder; remove the link", source=str(folder))
        if not stat.S_ISDIR(mode):
            raise StorageError("is not a folder; expected the folder trustsim writes there",
                               source=str(folder))
    return folder


def refuse_link(path: Path) -> None:
    """One line when ``path`` (a file trustsim is about to replace) is a symbolic link."""
    if Path(path).is_symlink():
        raise StorageError("is a symbolic link; trustsim never writes through a link "
                           "inside a results folder; remove the link", source=str(path))


def regular_file(path: Path | str, error: type[TrustsimError] = StorageError) -> os.stat_result:
    """The status of ``path`` when it is a regular file; ``error`` in one line when it is
    missing, a FIFO or device (which would block a reader forever), a folder or a link
    loop. Check before opening any file a user could have replaced."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error("file not found", source=str(path)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error("is a symbolic link loop; expected a file", source=str(path)) from None
        raise error(f"cannot read the file ({exc.strerror}; errno {exc.errno})",
                    source=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
        raise error(f"not a regular file ({what}); expected a file", source=str(path))
    return st


def read_regular(path: Path | str, error: type[TrustsimError] = StorageError) -> bytes:
    """The bytes of a regular file; opened without blocking and checked on the open file,
    so that a FIFO swapped in after a check is refused too (``regular_file``)."""
    regular_file(path, error)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror}; errno {exc.errno})",
                    source=str(path)) from None
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error("not a regular file; expected a file", source=str(path))
        try:
            return fh.read()
        except OSError as exc:
            raise error(f"cannot read the file ({exc.strerror}; errno {exc.errno})",
                        source=str(path)) from None


def read_table(path: Path, error: type[TrustsimError] = StorageError, **options: Any
               ) -> pd.DataFrame:
    """A Parquet table of a results folder as pandas; ``error`` in one line when it is not
    a regular file or not readable Parquet (truncated, corrupt), never a traceback."""
    regular_file(path, error)
    try:
        return pq.read_table(path, **options).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        reason = " ".join(str(exc).split())[:100]
        raise error(f"cannot read the table ({reason}); expected a Parquet file written by "
                    "trustsim", source=str(path)) from None


# -- atomic writes ---------------------------------------------------------------------
def write_atomic(path: Path, data: bytes | Callable[[Any], Any]) -> None:
    """Write ``data`` (bytes, or a function writing to a binary file) to a temporary name
    beside ``path``, sync it, then rename it into place. On any failure the temporary
    file is removed and ``path`` is left as it was. A link at ``path`` or at the
    temporary name is refused (the write would land wherever it points)."""
    refuse_link(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with storage_errors(path):
            tmp.unlink(missing_ok=True)  # a link planted at the temporary name is not followed
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            with open(fd, "wb") as fh:
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


def read_manifest(folder: Path, error: type[TrustsimError], what: str,
                  name: str = MANIFEST) -> dict[str, Any]:
    """The manifest (``name``) of a results folder; ``error`` (one line) when there is
    none or it cannot be read. ``what`` names the kind of folder in the message."""
    path = Path(folder) / name
    if not os.path.lexists(path):
        raise error(f"not a {what} (no {name})", source=str(folder))
    try:
        data = json.loads(read_regular(path, error))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"cannot read {name} ({' '.join(str(exc).split())[:100]})",
                    source=str(path)) from None
    except RecursionError:
        raise error(f"cannot read {name} (nested too deeply)", source=str(path)) from None
    if not isinstance(data, dict):
        raise error(f"{name} is not a JSON object", source=str(path))
    return data


def mark_incomplete(folder: Path, name: str = MANIFEST, **fields: Any) -> None:
    """Best effort after a failure: set the manifest's (``name``) status to
    ``incomplete`` (and ``fields``) if it can still be written; a full or read-only disk
    leaves it as it was."""
    with contextlib.suppress(OSError, TrustsimError, ValueError):
        data = json.loads(read_regular(folder / name))
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
        _write_part(root, path, blob)
    _write_part(root, record, (json.dumps({"parts": entries}, indent=1) + "\n").encode())
    _write_part(root, blobs[-1][0], blobs[-1][2])


def _write_part(root: Path, path: Path, blob: bytes) -> None:
    subfolder(root, *path.parent.relative_to(root).parts)
    write_atomic(path, blob)


def verify_batch(root: Path, parts: list[Path], record: Path, checksum: bool = True
                 ) -> str | None:
    """Why a committed batch is damaged (one phrase), or None when every part is whole:
    each part's size, sha256 (unless not ``checksum``: readers skip it, it reads every
    byte) and row count match the batch record. A batch without a record (written before
    records existed) passes when each part's footer reads."""
    expected: dict[str, Any] = {}
    if os.path.lexists(record):
        try:
            expected = json.loads(read_regular(record))["parts"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            return f"its record {record.name} cannot be read ({exc})"
        if not isinstance(expected, dict):
            return f"its record {record.name} cannot be read (no parts)"
    for path in parts:
        want = expected.get(path.relative_to(root).as_posix())
        if not os.path.lexists(path):
            if want is not None:
                return f"{path.relative_to(root)} is missing"
            continue
        regular_file(path)  # a FIFO or a link loop is refused, not waited on
        try:
            if not isinstance(want, dict):
                want = None
            if want is not None and checksum:
                blob = read_regular(path)
                if len(blob) != want["bytes"]:
                    return (f"{path.relative_to(root)} has {len(blob)} bytes, expected "
                            f"{want['bytes']}")
                if hashlib.sha256(blob).hexdigest() != want["sha256"]:
                    return f"{path.relative_to(root)} does not match its checksum"
            rows = pq.ParquetFile(path).metadata.num_rows
        except (KeyError, TypeError):
            return f"its record {record.name} cannot be read (an entry lacks bytes or sha256)"
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
        subfolder(root, DAMAGED, *path.parent.relative_to(root).parts)
        with storage_errors(target, "cannot set aside a damaged part"):
            os.replace(path, target)
        moved.append(path.relative_to(root).as_posix())
    print(f"trustsim: warning: {root}: {reason}; set aside {', '.join(moved)} in "
          f"{root / DAMAGED} and its runs will run again", file=sys.stderr)


# -- input files a run depends on ---------------------------------------------------------
INPUTS = "inputs"
_INPUT_COPY = re.compile(r"inputs/[0-9a-f]{16}(?:\.[A-Za-z0-9]{1,10})?")


def copy_inputs(out: Path, files: dict[str, Path], error: type[TrustsimError] = StorageError
                ) -> dict[str, dict[str, str]]:
    """Copy each input file a run reads (an edge list, a design table; keyed by its path as
    the scenario or experiment names it) into ``out/inputs/``, named by its content, and
    return what the manifest records: each copy's path and sha256, so that a rerun needs
    neither the original file nor trust in it."""
    recorded = {}
    for key, path in sorted(files.items()):
        blob = read_regular(path, error)
        digest = hashlib.sha256(blob).hexdigest()
        suffix = Path(path).suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", Path(path).suffix) \
            else ""
        copy = f"{INPUTS}/{digest[:16]}{suffix}"
        subfolder(out, INPUTS)
        write_atomic(out / copy, blob)
        recorded[key] = {"copy": copy, "sha256": digest}
    return recorded


def checked_inputs(folder: Path, recorded: Any, error: type[TrustsimError]) -> dict[str, Path]:
    """The copies of a results folder's input files (key as recorded -> path), each checked
    against the sha256 its manifest recorded; ``error`` in one line for a copy that is
    missing, altered or recorded in a shape trustsim never writes."""
    where = str(Path(folder) / MANIFEST)
    if not isinstance(recorded, dict):
        raise error("inputs: expected a mapping of input files", source=where)
    found = {}
    for key, entry in recorded.items():
        copy = entry.get("copy") if isinstance(entry, dict) else None
        if not isinstance(copy, str) or not _INPUT_COPY.fullmatch(copy) \
                or not isinstance(entry.get("sha256"), str):
            raise error(f"inputs: {show_value(key)}: expected the copy and sha256 trustsim "
                        "records", source=where)
        path = Path(folder) / copy
        if hashlib.sha256(read_regular(path, error)).hexdigest() != entry["sha256"]:
            raise error("does not match the sha256 recorded in manifest.json (changed since "
                        "the run); restore it or run the original again", source=str(path))
        found[key] = path.resolve()
    return found
