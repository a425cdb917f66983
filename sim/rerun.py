"""Reproduce a results folder from its manifest (``trustsim rerun``).

A scenario folder's manifest holds the resolved scenario (seed, replicates and weeks as
run); a sweep folder holds its experiment (in the manifest) and its resolved scenario
(``scenario.yaml``). Running them again into a new folder gives equal tables when the
installation matches the one recorded (versions, data hash, git commit); where it does
not, a one-line warning says what differs.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from sim import provenance, resultsdir
from sim.errors import TrustsimError

WHAT = "trustsim results folder"


def rerun(folder: str | Path, out: str | Path, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False,
          command: str | None = None) -> Path:
    """Run what ``folder`` recorded again into ``out`` (a new or empty folder, never inside
    ``folder`` nor holding it)."""
    folder, out = Path(folder), Path(out)
    manifest = resultsdir.read_manifest(folder, TrustsimError, WHAT)
    _check_out(folder, out)
    kind = kind_of(manifest)
    if kind is None:
        raise TrustsimError("manifest.json was not written by trustsim run or trustsim "
                            "sweep; nothing to rerun", source=str(folder / "manifest.json"))
    try:  # the manifest is a file anyone could edit: its shape is checked, not trusted
        job = _scenario(folder, manifest) if kind == "scenario" else \
            _experiment(folder, manifest)
        _warn_if_changed(folder, manifest)
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        what = f"no {exc.args[0]!r}" if isinstance(exc, KeyError) else type(exc).__name__
        raise TrustsimError(f"manifest.json is not as trustsim writes it ({what}); nothing "
                            "to rerun", source=str(folder / "manifest.json")) from None
    if kind == "scenario":
        from sim.scenario.runner import run_scenario
        from sim.workerpool import default_workers

        run_scenario(job, workers=workers or default_workers(), out=out, progress=progress,
                     command=command, scheduler=scheduler)
    else:
        from sim.sweep.runner import run

        run(job, workers=workers, scheduler=scheduler, out=out, progress=progress,
            command=command)
    return out


def _check_out(folder: Path, out: Path) -> None:
    """``out`` neither the source folder, nor inside it, nor holding it (links and ``..``
    resolved first): a rerun never changes what it reruns."""
    src, dst = folder.resolve(), out.resolve()
    if dst == src:
        raise TrustsimError("is the folder being rerun; choose another --out", source=str(out))
    if dst.is_relative_to(src):
        raise TrustsimError(f"is inside the folder being rerun ({folder}); choose an --out "
                            "outside it", source=str(out))
    if src.is_relative_to(dst):
        raise TrustsimError(f"holds the folder being rerun ({folder}); choose an --out "
                            "outside it", source=str(out))


def _scenario(folder: Path, manifest: dict[str, Any]):
    """The scenario as run, its input files (edge lists) read from the folder's checked
    copies."""
    from sim.scenario.loader import validate

    data = manifest["scenario"]
    if not isinstance(data, dict):
        raise TypeError("scenario")
    copies = resultsdir.checked_inputs(folder, manifest.get("inputs", {}), TrustsimError)
    return validate(relinked(data, copies), {}, folder / "manifest.json")


def relinked(data: dict[str, Any], copies: dict[str, Path]) -> dict[str, Any]:
    """A resolved scenario with each ``partnership_edges`` that has a copy pointing at the
    copy (public: the sweeps keep their scenario copy so)."""
    data = copy.deepcopy(data)
    arms = data.get("arms") if isinstance(data.get("arms"), dict) else {}
    for section in (data.get("population"), *arms.values()):
        if isinstance(section, dict) and section.get("partnership_edges") in copies:
            section["partnership_edges"] = str(copies[section["partnership_edges"]])
    return data


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
    copies = resultsdir.checked_inputs(folder, manifest.get("inputs", {}), TrustsimError)
    if data.get("table") in copies:  # a design table: its checked copy
        data["table"] = str(copies[data["table"]])
    scenario = folder / SCENARIO_COPY  # its edge lists point at the folder's copies
    if scenario.is_file():
        data["scenario"] = str(scenario.resolve())
    elif manifest.get("scenario_file"):
        data["scenario"] = manifest["scenario_file"]
    original = Path(manifest.get("experiment_file") or "")
    source = original if original.is_file() else folder / "experiment.yaml"
    return parse_experiment({k: v for k, v in data.items() if v is not None}, source)


def _warn_if_changed(folder: Path, manifest: dict[str, Any]) -> None:
    """One line when this installation differs from the recorded one."""
    now = {"trustsim": provenance.versions(), "data_hash": provenance.data_hash(),
           "git_commit": provenance.git_commit()}
    versions = manifest.get("versions")
    then = {"trustsim": versions if isinstance(versions, dict) else {},
            "data_hash": manifest.get("data_hash"),
            "git_commit": manifest.get("git_commit")}
    changed = [f"{lib} {old} -> {now['trustsim'].get(lib)}"
               for lib, old in then["trustsim"].items()
               if lib in now["trustsim"] and now["trustsim"][lib] != old]
    changed += [key.replace("_", " ") for key in ("data_hash", "git_commit")
                if then[key] is not None and then[key] != now[key]]
    if changed:
        print(f"trustsim: warning: {folder}: recorded with a different installation "
              f"({'; '.join(changed)}); the numbers may differ", file=sys.stderr)
