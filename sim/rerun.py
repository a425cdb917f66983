"""Reproduce a results folder from its manifest (``trustsim rerun``).

A scenario folder's manifest holds the resolved scenario (seed, replicates and weeks as
run); a sweep folder holds its experiment (in the manifest) and its resolved scenario
(``scenario.yaml``). Running them again into a new folder gives equal tables when the
installation matches the one recorded (versions, data hash, git commit); where it does
not, a one-line warning says what differs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sim import provenance, resultsdir
from sim.errors import TrustsimError

WHAT = "trustsim results folder"


def rerun(folder: str | Path, out: str | Path, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False,
          command: str | None = None) -> Path:
    """Run what ``folder`` recorded again into ``out`` (a new or empty folder)."""
    folder, out = Path(folder), Path(out)
    manifest = resultsdir.read_manifest(folder, TrustsimError, WHAT)
    if out.resolve() == folder.resolve():
        raise TrustsimError("is the folder being rerun; choose another --out",
                            source=str(out))
    kind = kind_of(manifest)
    if kind is None:
        raise TrustsimError("manifest.json was not written by trustsim run or trustsim "
                            "sweep; nothing to rerun", source=str(folder / "manifest.json"))
    _warn_if_changed(folder, manifest)
    if kind == "scenario":
        from sim.scenario.loader import validate
        from sim.scenario.runner import run_scenario
        from sim.workerpool import default_workers

        scenario = validate(manifest["scenario"], {}, folder / "manifest.json")
        run_scenario(scenario, workers=workers or default_workers(), out=out, progress=progress,
                     command=command, scheduler=scheduler)
    else:
        from sim.sweep.runner import run

        run(_experiment(folder, manifest), workers=workers, scheduler=scheduler, out=out,
            progress=progress, command=command)
    return out


def kind_of(manifest: dict[str, Any]) -> str | None:
    """``scenario`` or ``sweep`` (also for folders written before manifests had a kind)."""
    kind = manifest.get("kind")
    if kind in ("scenario", "sweep"):
        return kind
    if kind is None and "scenario_name" in manifest and "scenario" in manifest:
        return "scenario"
    if kind is None and "experiment" in manifest and "fingerprint" in manifest:
        return "sweep"
    return None


def _experiment(folder: Path, manifest: dict[str, Any]):
    """The sweep's experiment, on the scenario copy kept in the folder (the original file
    may have changed or gone); relative paths in it (a table design) resolve from the
    original experiment file when it is still there."""
    from sim.sweep.runner import SCENARIO_COPY
    from sim.sweep.spec import parse_experiment

    data = dict(manifest["experiment"])
    copy = folder / SCENARIO_COPY
    if copy.is_file():
        data["scenario"] = str(copy.resolve())
    elif manifest.get("scenario_file"):
        data["scenario"] = manifest["scenario_file"]
    original = Path(manifest.get("experiment_file") or "")
    source = original if original.is_file() else folder / "experiment.yaml"
    return parse_experiment({k: v for k, v in data.items() if v is not None}, source)


def _warn_if_changed(folder: Path, manifest: dict[str, Any]) -> None:
    """One line when this installation differs from the recorded one."""
    now = {"trustsim": provenance.versions(), "data_hash": provenance.data_hash(),
           "git_commit": provenance.git_commit()}
    then = {"trustsim": manifest.get("versions") or {}, "data_hash": manifest.get("data_hash"),
            "git_commit": manifest.get("git_commit")}
    changed = [f"{lib} {old} -> {now['trustsim'].get(lib)}"
               for lib, old in then["trustsim"].items()
               if lib in now["trustsim"] and now["trustsim"][lib] != old]
    changed += [key.replace("_", " ") for key in ("data_hash", "git_commit")
                if then[key] is not None and then[key] != now[key]]
    if changed:
        print(f"trustsim: warning: {folder}: recorded with a different installation "
              f"({'; '.join(changed)}); the numbers may differ", file=sys.stderr)
