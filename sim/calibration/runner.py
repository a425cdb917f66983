"""``trustsim calibrate``: ABC-SMC (pyabc) of a scenario arm against observed targets.

pyabc's History database (SQLite, ``history.db`` in the results folder) holds every
finished generation, so running the same command again after an interruption (SIGKILL
included) loads it with ``ABCSMC.load`` and continues with the generations still to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import provenance
from sim.calibration.simulate import Simulator
from sim.calibration.spec import CalibrationSpec, Prior, check_priors, load_calibration
from sim.calibration.targets import (
    SITE_STATISTICS,
    Stages,
    observed_from_sites,
    reached_from_dates,
    read_site_csv,
)
from sim.errors import ExperimentError, TrustsimError
from sim.optional import require
from sim.resultsdir import LOCK, FolderLock
from sim.sweep.paths import lookup
from sim.sweep.store import write_json

MANIFEST = "calibration.json"


@dataclass
class Setup:
    """A checked calibration: what is simulated and what it is compared with."""

    spec: CalibrationSpec
    arm: str
    base: dict[str, Any]
    observed: dict[str, tuple[float, float]]
    simulator: Simulator

    def fingerprint(self) -> str:
        data = {"spec": self.spec.model_dump(mode="json"), "arm": self.arm, "base": self.base,
                "observed": self.observed}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()
                              ).hexdigest()[:16]


@dataclass
class CalibrationReport:
    out: Path
    generations: int
    simulations: int
    ran_generations: int
    summary: pd.DataFrame


def prepare(spec: CalibrationSpec) -> Setup:
    """Scenario, arm, priors and targets checked; the observed statistics computed."""
    from sim.model import TrustModel
    from sim.outcomes import SUMMARY_OUTCOMES
    from sim.scenario import load_scenario

    source = str(spec.source or "calibration")
    path = spec.path(spec.scenario)
    if not path.is_file():
        raise ExperimentError(f"scenario file {spec.scenario} not found (looked at {path})",
                              source=source, field="scenario")
    scenario = load_scenario(path)
    arm = spec.arm if spec.arm is not None else scenario.arms[0]
    if arm not in scenario.arms:
        raise ExperimentError(f"unknown arm '{arm}'; {spec.scenario} has: "
                              + ", ".join(scenario.arms), source=source, field="arm")
    base = scenario.arm_params(arm)
    if spec.weeks is not None:
        base["weeks"] = spec.weeks
    paths = check_priors(spec, base)
    horizon = int(base.get("weeks", scenario.weeks))
    sites = not isinstance(spec.targets, dict)
    if sites:
        stages = Stages.of(TrustModel(rng=0, **base))
        names = spec.targets.statistics or list(SITE_STATISTICS)
        for name in names:
            lookup(name, dict.fromkeys(SITE_STATISTICS), source, "targets.statistics",
                   f"unknown site statistic '{name}'")
        dates = read_site_csv(spec.path(spec.targets.csv), stages, source)
        observed = observed_from_sites(reached_from_dates(dates, stages), stages, horizon,
                                       names, spec.seed)
    else:
        for name in spec.targets:
            lookup(name, SUMMARY_OUTCOMES, source, f"targets.{name}",
                   "unknown summary statistic (sim.outcomes.SUMMARY_OUTCOMES)")
        observed = {k: (t.value, t.sd) for k, t in spec.targets.items()}
    sim = Simulator(base, paths, list(observed), spec.replicates, spec.seed, sites, horizon)
    return Setup(spec, arm, base, observed, sim)


def prior_distribution(priors: dict[str, Prior], paths) -> Any:
    """pyabc's prior: uniform, log-uniform, or normal truncated to the allowed range."""
    pyabc = require("pyabc", "calibration")
    rvs = {}
    for name, p in priors.items():
        if p.distribution == "uniform":
            rvs[name] = pyabc.RV("uniform", p.low, p.high - p.low)
        elif p.distribution == "log-uniform":
            rvs[name] = pyabc.RV("loguniform", p.low, p.high)
        else:
            lo = p.low if p.low is not None else paths[name].low
            hi = p.high if p.high is not None else paths[name].high
            a = -np.inf if lo is None else (lo - p.mean) / p.sd
            b = np.inf if hi is None else (hi - p.mean) / p.sd
            rvs[name] = pyabc.RV("truncnorm", a, b, p.mean, p.sd)
    return pyabc.Distribution(**rvs)


def _sampler(workers: int | None, scheduler: str | None):
    """(pyabc sampler, close function): one process, local processes, or a Dask cluster."""
    from pyabc import sampler

    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="5s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is one line
            reason = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise TrustsimError(f"cannot reach the Dask scheduler at {scheduler} ({reason}); "
                                "is `dask scheduler` running there?") from None
        return sampler.DaskDistributedSampler(dask_client=client), client.close
    if workers and workers > 1:
        pool = process_pool(workers)
        return (sampler.ConcurrentFutureSampler(pool, client_max_jobs=workers),
                lambda: pool.shutdown(wait=True, cancel_futures=True))
    return sampler.SingleCoreSampler(), lambda: None


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The local worker pool every command uses (``sim.workerpool``: portable start
    method, workers that die with their coordinator)."""
    from sim.workerpool import local_pool

    return local_pool(workers, ["sim.calibration.simulate", "sim.runs", "sim.model"])


def calibrate(file: str | Path, workers: int | None = None, scheduler: str | None = None,
              out: str | Path | None = None) -> CalibrationReport:
    """Run (or continue) a calibration; posterior, tables and figures go to ``out``."""
    require("pyabc", "calibration")
    spec = load_calibration(file)
    setup = prepare(spec)
    out = Path(out) if out is not None else Path("results") / "calibrations" / spec.name
    sampler, close = _sampler(workers, scheduler)  # an unreachable cluster writes nothing
    try:
        with FolderLock(out):
            history, ran = _fit(out, setup, Path(file), sampler)
            from sim.calibration.outputs import write_outputs

            summary = write_outputs(out, setup, history, workers)
            _finish(out, history)
    finally:
        close()
    return CalibrationReport(out, history.max_t + 1, int(history.total_nr_simulations), ran,
                             summary)


def _fit(out: Path, setup: Setup, file: Path, sampler) -> tuple[Any, int]:
    """Start or continue the ABC-SMC run in ``out``; (its History, generations run now)."""
    pyabc = require("pyabc", "calibration")
    spec = setup.spec
    manifest = _open_out(out, setup, file)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    distance = pyabc.PNormDistance(p=2, fixed_weights={k: 1.0 / sd for k, (_, sd)
                                                       in setup.observed.items()})
    abc = pyabc.ABCSMC(setup.simulator, prior_distribution(spec.priors, setup.simulator.paths),
                       distance, population_size=spec.population, sampler=sampler)
    db = f"sqlite:///{(out / 'history.db').resolve()}"
    if manifest.get("abc_id") is None:
        history = abc.new(db, {k: v for k, (v, _) in setup.observed.items()})
        manifest["abc_id"] = history.id
        write_json(out / MANIFEST, manifest)
    else:
        history = abc.load(db, manifest["abc_id"])
    return history, _continue(abc, history, spec)


def _finish(out: Path, history) -> None:
    manifest = json.loads((out / MANIFEST).read_text())
    manifest.update(status="complete", generations=history.max_t + 1,
                    simulations=int(history.total_nr_simulations),
                    updated=datetime.now(UTC).isoformat(timespec="seconds"))
    write_json(out / MANIFEST, manifest)


def _continue(abc, history, spec: CalibrationSpec) -> int:
    """Run the generations still to do; how many were run this time."""
    done = history.max_t + 1
    left = spec.stop.generations - done
    sims_left = (np.inf if spec.stop.max_simulations is None
                 else spec.stop.max_simulations - history.total_nr_simulations)
    if done:
        eps = history.get_all_populations()["epsilon"].iloc[-1]
        if eps <= spec.stop.min_epsilon:
            left = 0
    if left <= 0 or sims_left <= 0:
        return 0
    np.random.seed((spec.seed + done) % 2**32)  # pyabc draws from numpy's global stream
    abc.run(minimum_epsilon=spec.stop.min_epsilon, max_nr_populations=left,
            max_total_nr_simulations=sims_left)
    return history.max_t + 1 - done


def _open_out(out: Path, setup: Setup, file: Path) -> dict[str, Any]:
    """The folder's manifest: a new one, or the one of the same calibration to continue."""
    path = out / MANIFEST
    if path.exists():
        manifest = json.loads(path.read_text())
        if manifest.get("fingerprint") != setup.fingerprint():
            raise ExperimentError("holds a different calibration (the file, its scenario or "
                                  "its targets changed); choose another --out",
                                  source=str(out))
        return manifest
    if any(p.name != LOCK for p in out.iterdir()):
        raise ExperimentError("exists and is not a calibration results folder; choose "
                              "another --out", source=str(out))
    (out / "calibration.yaml").write_text(file.read_text())
    manifest = {**provenance.header("calibration", None),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "fingerprint": setup.fingerprint(),
                "calibration_file": str(file), "arm": setup.arm, "base_params": setup.base,
                "observed": {k: {"value": v, "sd": sd} for k, (v, sd) in
                             setup.observed.items()},
                "seeding": "run seeds = SeedSequence([seed, 0, sha256(particle values)])"
                           ".spawn(replicates)", "abc_id": None, "status": "running"}
    write_json(path, manifest)
    return manifest

