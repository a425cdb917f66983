"""The shared results-folder layer: one writer at a time, atomic writes that leave nothing
behind, batch records that tell a whole part from a damaged one, and only trustsim's own
files counted as removable."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from sim import resultsdir
from sim.resultsdir import FolderLock, StorageError


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    with FolderLock(out):
        with pytest.raises(StorageError) as info:
            FolderLock(out).acquire()
    assert str(info.value) == (f"{out}: in use by another trustsim run (process "
                               f"{os.getpid()} is writing there); wait for it to finish or "
                               "choose another --out")
    assert info.value.exit_code == 2
    assert list(out.iterdir()) == []  # released: the lock file goes too
    FolderLock(out).acquire().release()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from sim.resultsdir import FolderLock; "
        f"FolderLock({str(out)!r}).acquire(); print('locked', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(StorageError, match=f"process {holder.pid} is writing"):
        FolderLock(out).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / resultsdir.LOCK).read_text().strip() == str(holder.pid)  # stale file
    with FolderLock(out) as lock:
        assert (out / resultsdir.LOCK).read_text().strip() == str(os.getpid())
        assert lock.path.exists()


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    resultsdir.write_json(path, {"status": "running"})

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError) as info:
        resultsdir.write_json(path, {"status": "complete"})
    assert str(info.value) == (f"{path}: cannot write (No space left on device; errno "
                               f"{errno.ENOSPC})")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    assert '"running"' in path.read_text()


def _batch(root: Path) -> tuple[list[Path], Path]:
    parts = [root / "ts" / "p.parquet", root / "sum" / "p.parquet"]
    tables = [pa.table({"week": list(range(50)), "x": [0.5] * 50}), pa.table({"y": [1.0]})]
    record = root / "rec" / "p.json"
    resultsdir.write_batch(root, list(zip(parts, tables, strict=True)), record)
    return parts, record


def test_verify_batch_catches_truncation_alteration_and_missing_parts(tmp_path):
    parts, record = _batch(tmp_path)
    assert resultsdir.verify_batch(tmp_path, parts, record) is None
    blob = parts[0].read_bytes()
    parts[0].write_bytes(blob[: len(blob) // 2])
    assert "ts/p.parquet has" in resultsdir.verify_batch(tmp_path, parts, record)
    assert "is not valid Parquet" in resultsdir.verify_batch(tmp_path, parts, record,
                                                             checksum=False)
    parts[0].write_bytes(blob[:-20] + bytes(20))
    assert resultsdir.verify_batch(tmp_path, parts, record) == (
        "ts/p.parquet does not match its checksum")
    parts[0].unlink()
    assert resultsdir.verify_batch(tmp_path, parts, record) == "ts/p.parquet is missing"


def test_a_batch_without_a_record_is_checked_by_its_footer(tmp_path):
    parts, record = _batch(tmp_path)
    record.unlink()  # as written before batch records existed
    assert resultsdir.verify_batch(tmp_path, parts, record) is None
    parts[1].write_bytes(parts[1].read_bytes()[:10])
    assert "sum/p.parquet is not valid Parquet" in resultsdir.verify_batch(tmp_path, parts,
                                                                           record)


def test_set_aside_moves_never_deletes(tmp_path, capsys):
    parts, record = _batch(tmp_path)
    before = {p: p.read_bytes() for p in [*parts, record]}
    resultsdir.set_aside(tmp_path, [*parts, record], "batch p is damaged: test")
    for path, blob in before.items():
        assert not path.exists()
        assert (tmp_path / "damaged" / path.relative_to(tmp_path)).read_bytes() == blob
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"trustsim: warning: {tmp_path}: batch p")


def test_foreign_entries_lists_other_files_folders_and_links(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").write_text("")
    (tmp_path / "figures" / "mine.png").write_text("")
    (tmp_path / "notes").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / "figures" / "a.png")
    found = resultsdir.foreign_entries(tmp_path, [r"figures/a\.png", r"link\.json"],
                                       [r"figures"])
    assert found == ["figures/mine.png", "link.json", "notes/"]


def test_subfolder_refuses_a_link_at_any_depth_and_touches_nothing_outside(tmp_path):
    root, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    assert resultsdir.subfolder(root, "a", "b") == root / "a" / "b"
    (root / "a" / "link").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StorageError) as info:
        resultsdir.subfolder(root, "a", "link", "c")
    assert str(info.value).startswith(f"{root / 'a' / 'link'}: is a symbolic link")
    assert list(elsewhere.iterdir()) == []


def test_write_atomic_refuses_a_link_at_the_target_and_replaces_one_at_its_temporary(
        tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("mine")
    (tmp_path / "link.json").symlink_to(outside)
    with pytest.raises(StorageError, match="link.json: is a symbolic link"):
        resultsdir.write_atomic(tmp_path / "link.json", b"x")
    (tmp_path / ".data.json.tmp").symlink_to(outside)
    resultsdir.write_atomic(tmp_path / "data.json", b"x")
    assert outside.read_text() == "mine" and (tmp_path / "data.json").read_bytes() == b"x"


def test_a_fifo_is_refused_without_opening_it(tmp_path, unblocked):
    fifo = tmp_path / "manifest.json"
    os.mkfifo(fifo)
    with pytest.raises(StorageError, match="not a regular file"):
        unblocked(lambda: resultsdir.read_regular(fifo), [fifo])
    with pytest.raises(StorageError, match="manifest.json: not a regular file"):
        unblocked(lambda: resultsdir.read_manifest(tmp_path, StorageError, "x"), [fifo])
