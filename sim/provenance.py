"""What every results manifest records about how it was made, scenario runs and sweeps
alike: the trustsim and library versions, the git commit when run from a checkout, and a
hash of the package's data files, so that a folder can be traced and rerun
(``trustsim rerun``) and a changed installation is visible."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.runs import SEEDING

PACKAGE = Path(__file__).resolve().parent
#: Every library a number in a results folder can come from, under its distribution name:
#: the model (mesa, numpy, scipy, numba for the default engine, networkx for the networks),
#: the tables, the runners, and the analyses (SALib, ema-workbench for discover, pyabc for
#: calibrate). One list, so every manifest writer records them all; those not installed are
#: left out.
LIBRARIES = ("mesa", "numpy", "scipy", "numba", "networkx", "pandas", "pyarrow", "pydantic",
             "dask", "distributed", "SALib", "ema-workbench", "pyabc")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """trustsim, Python and the installed versions of the libraries the numbers rest on
    (``extra``: more distributions, e.g. those a discovery rests on)."""
    import sim

    found = {"trustsim": sim.__version__, "python": platform.python_version()}
    for name in (*LIBRARIES, *extra):
        try:
            found[name.lower()] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def git_commit(where: Path = PACKAGE) -> str | None:
    """The commit of the checkout the package runs from (``+dirty`` when it has changes),
    or None for an installed package or without git."""
    if not (where.parent / ".git").exists():
        return None
    try:
        head = _git(where, "rev-parse", "HEAD")
        dirty = _git(where, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(where.parent), *args], capture_output=True,
                          text=True, timeout=10, check=True)
    return done.stdout.strip()


def data_hash(folder: Path = PACKAGE / "data") -> str:
    """sha256 over the package's data files (``sim/data/*.yaml``: names and bytes, in
    name order): the same hash means the same catalogue, calibration and defaults."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def header(kind: str, command: str | None) -> dict[str, Any]:
    """The top-level manifest fields every results folder starts with."""
    found = versions()
    return {"kind": kind, "trustsim": found["trustsim"], "versions": found,
            "git_commit": git_commit(), "data_hash": data_hash(), "command": command,
            "seeding": SEEDING, "status": "running", "started": now(), "finished": None}


def counts(planned: int, finished: int, failed: int = 0) -> dict[str, int]:
    """How far a folder got: runs planned, finished (with results), failed, missing."""
    return {"planned": planned, "finished": finished, "failed": failed,
            "missing": planned - finished - failed}
