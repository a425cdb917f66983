"""``trustsim calibrate``: ABC-SMC (pyabc) of a scenario arm against observed targets.

pyabc's History database (SQLite, ``history.db`` in the results folder) holds every
finished generation, so running the same command again after an interruption (SIGKILL
included) loads it with ``ABCSMC.load`` and continues with the generations still to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import provenance
from sim.calibration.noise import (
    distance_scale,
    measure_noise,
    noise_floor,
    prior_centre,
)
from sim.calibration.signals import (
    Terminated,
    check_stop,
    clear_stop,
    request_stop,
    requested,
)
from sim.calibration.simulate import Simulator
from sim.calibration.spec import CalibrationSpec, Prior, check_priors, load_calibration
from sim.calibration.targets import (
    SITE_STATISTICS,
    Stages,
    observed_from_sites,
    reached_from_dates,
    read_site_csv,
)
from sim.errors import ExperimentError, TrustsimError, interruption
from sim.optional import require
from sim.resultsdir import (
    LOCK,
    FolderLock,
    StorageError,
    mark_incomplete,
    read_manifest,
    storage_errors,
    write_atomic,
    write_json,
)
from sim.sweep.paths import lookup

MANIFEST = "calibration.json"
HISTORY = "history.db"
DAMAGED = "damaged"
#: What the worker processes import before their first particle.
PRELOAD = ["sim.calibration.sampler", "sim.calibration.simulate", "sim.runs", "sim.model"]


@dataclass
class Setup:
    """A checked calibration: what is simulated and what it is compared with."""

    spec: CalibrationSpec
    arm: str
    base: dict[str, Any]
    observed: dict[str, tuple[float, float]]
    simulator: Simulator
    #: per target, the sd of one run at the prior's centre (sim.calibration.noise)
    sigma: dict[str, float] = field(default_factory=dict)

    @property
    def scale(self) -> dict[str, float]:
        """Per target, what its difference is divided by in the distance."""
        return distance_scale(self.observed, self.sigma, self.spec.replicates)

    @property
    def floor(self) -> float:
        return noise_floor(len(self.observed))

    @property
    def min_epsilon(self) -> float:
        chosen = self.spec.stop.min_epsilon
        return self.floor if chosen == "noise" else float(chosen)

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
    #: why ABC-SMC stopped, with the last epsilon against the noise floor (one line)
    stopped: str = ""
    notes: list[str] = field(default_factory=list)


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


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C (exit 130) or SIGTERM (exit 143) stopped a calibration; its finished
    generations are kept in ``out`` and the same command continues it."""

    def __init__(self, out: Path, generations: int, exit_code: int):
        super().__init__(f"interrupted; {generations} finished generation(s) are kept in "
                         f"{out} ({MANIFEST} says incomplete); run the same command again "
                         "to continue")
        self.out, self.generations, self.exit_code = out, generations, exit_code


_Terminated = Terminated  # SIGTERM, stopping as Ctrl-C does


def check_workers(workers: int | None) -> None:
    """The same bounds as ``trustsim run`` and ``sweep`` (``--workers 1..MAX_WORKERS``)."""
    from sim.cli import MAX_WORKERS

    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise TrustsimError(f"--workers: expected 1 to {MAX_WORKERS} worker processes, "
                            f"got {workers}")


def calibrate(file: str | Path, workers: int | None = None, scheduler: str | None = None,
              out: str | Path | None = None) -> CalibrationReport:
    """Run (or continue) a calibration; posterior, tables and figures go to ``out``.
    Serial, ``workers`` processes and a Dask ``scheduler`` give the same posterior."""
    require("pyabc", "calibration")
    from sim.runner import backend, check_scheduler

    check_workers(workers)
    if scheduler:
        check_scheduler(scheduler)
    spec = load_calibration(file)
    setup = prepare(spec)
    out = Path(out) if out is not None else Path("results") / "calibrations" / spec.name
    back = backend(workers or 1, scheduler, PRELOAD)  # a bad scheduler writes nothing
    stopped = False
    try:
        with FolderLock(out), _sigterm_interrupts():
            manifest = _open_out(out, setup, Path(file))
            try:
                _noise(out, setup, manifest, back)
                history, ran = _fit(out, setup, manifest, back)
                check_stop()  # a signal during pyabc's own work between candidates
                from sim.calibration.outputs import write_outputs

                summary, notes = write_outputs(out, setup, history, back.executor)
                stopped, warning = stop_reason(setup, history)
                notes = [*notes, *([warning] if warning else [])]
                _finish(out, manifest, history, stopped, notes)
            except BaseException as exc:
                interrupt = interruption(exc)
                stopped = interrupt is not None
                mark_incomplete(out, MANIFEST, updated=_now())
                if stopped:
                    code = 143 if isinstance(interrupt, _Terminated) else 130
                    raise CalibrationInterrupted(out, _generations(out), code) from None
                raise
    finally:
        back.close(now=stopped)
    return CalibrationReport(out, history.max_t + 1, int(history.total_nr_simulations), ran,
                             summary, stopped, notes)


def _noise(out: Path, setup: Setup, manifest: dict[str, Any], back) -> None:
    """The model's run-to-run noise at the prior's centre: measured once (its runs use
    their own seeds) and kept in the manifest, so a continued calibration uses the same
    distance."""
    n = setup.spec.noise.replicates
    if "noise" not in manifest:
        centre = prior_centre(setup.spec.priors, setup.simulator.paths)
        sigma = (measure_noise(setup.simulator, centre, n, back.executor) if n else {})
        manifest["noise"] = {"replicates": n, "at": centre, "sd_one_run": sigma}
        setup.sigma = sigma
        manifest["distance"] = {"scale": setup.scale, "noise_floor": setup.floor,
                                "min_epsilon": setup.min_epsilon}
        write_json(out / MANIFEST, manifest)
    setup.sigma = manifest["noise"]["sd_one_run"]


def stop_reason(setup: Setup, history) -> tuple[str, str | None]:
    """(why the calibration stopped, a warning when its last epsilon is above the
    noise floor: the posterior is then wider than the data and the noise allow)."""
    eps = float(history.get_all_populations()["epsilon"].iloc[-1])
    done, spec = history.max_t + 1, setup.spec
    floor, target = setup.floor, setup.min_epsilon
    at_truth = "the median distance of a particle at the true values"
    if eps <= target:
        reached = (f"the noise floor ({floor:.3g}, {at_truth})"
                   if spec.stop.min_epsilon == "noise"
                   else f"stop.min_epsilon ({target:.3g}; noise floor {floor:.3g}, {at_truth})")
        line = f"stopped after {done} generation(s): epsilon {eps:.3g} reached {reached}"
    else:
        if done >= spec.stop.generations:
            why = f"the generation cap (stop.generations: {spec.stop.generations})"
        elif (spec.stop.max_simulations is not None
              and history.total_nr_simulations >= spec.stop.max_simulations):
            why = f"the simulation cap (stop.max_simulations: {spec.stop.max_simulations})"
        else:
            why = "pyabc made no new generation"
        line = (f"stopped after {done} generation(s): {why}; last epsilon {eps:.3g} "
                f"(noise floor {floor:.3g}, {at_truth})")
    warning = None
    if eps > floor:
        warning = (f"the last epsilon ({eps:.3g}) is above the noise floor ({floor:.3g}): "
                   "not converged, the posterior is wider than the data allow; raise "
                   "stop.generations or stop.max_simulations, or check predictive.png for "
                   "targets the model cannot meet")
    elif target < floor:
        warning = (f"stop.min_epsilon ({target:.3g}) is below the noise floor "
                   f"({floor:.3g}): below the floor the true values are rejected more "
                   "often than not")
    return line, warning


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While inside: Ctrl-C and SIGTERM stop the calibration after the candidate under
    way (``signals.check_stop``, main thread only). Raising from the handler at any
    bytecode could be dropped (inside a weakref callback) or leave a lock held (a hang);
    a second signal still raises at once."""
    def stop(signum, frame):
        again = bool(requested())
        request_stop(signum)
        if again:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    clear_stop()
    try:
        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        clear_stop()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _make_abc(setup: Setup, back) -> Any:
    """pyabc's ABCSMC over the ordered sampler (sim.calibration.sampler)."""
    pyabc = require("pyabc", "calibration")
    from sim.calibration.sampler import OrderedSampler

    logging.getLogger("ABC").setLevel(logging.WARNING)
    distance = pyabc.PNormDistance(p=2, fixed_weights={k: 1.0 / sd for k, sd
                                                       in setup.scale.items()})
    return pyabc.ABCSMC(setup.simulator,
                        prior_distribution(setup.spec.priors, setup.simulator.paths),
                        distance, population_size=setup.spec.population,
                        sampler=OrderedSampler(back.executor, back.workers, setup.spec.seed))


def _fit(out: Path, setup: Setup, manifest: dict[str, Any], back) -> tuple[Any, int]:
    """Start or continue the ABC-SMC run in ``out``; (its History, generations run now).

    Every generation starts from what history.db holds (a new ABCSMC loaded from it), so
    a calibration interrupted between or within generations and continued gives what an
    uninterrupted one gives."""
    from sim.calibration.sampler import seed_global

    db = out / HISTORY
    url = f"sqlite:///{db.resolve()}"
    abc_id = _usable_history(out, manifest.get("abc_id"))
    with _database_errors(db):
        if abc_id is None:
            history = _make_abc(setup, back).new(url, {k: v for k, (v, _)
                                                       in setup.observed.items()})
            manifest["abc_id"] = abc_id = history.id  # history.db is now usable
            write_json(out / MANIFEST, manifest)
        ran = 0
        while True:
            abc = _make_abc(setup, back)
            history = abc.load(url, abc_id)
            sims_left = _left(history, setup.spec, setup.min_epsilon)
            if sims_left is None:
                return history, ran
            done = history.max_t + 1
            seed_global(setup.spec.seed, done)  # what pyabc draws outside the sampler
            abc.run(minimum_epsilon=setup.min_epsilon, max_nr_populations=1,
                    max_total_nr_simulations=sims_left)
            if history.max_t + 1 == done:  # pyabc stopped without a new generation
                return history, ran
            ran += 1


def _left(history, spec: CalibrationSpec, min_epsilon: float) -> float | None:
    """The simulations still allowed, or None when the calibration is finished."""
    done = history.max_t + 1
    sims_left = (np.inf if spec.stop.max_simulations is None
                 else spec.stop.max_simulations - history.total_nr_simulations)
    if done >= spec.stop.generations or sims_left <= 0:
        return None
    if done and history.get_all_populations()["epsilon"].iloc[-1] <= min_epsilon:
        return None
    return sims_left


def _finish(out: Path, manifest: dict[str, Any], history, stopped: str,
            notes: list[str]) -> None:
    manifest.update(status="complete", generations=history.max_t + 1,
                    simulations=int(history.total_nr_simulations), stopped=stopped,
                    warnings=notes, updated=_now())
    write_json(out / MANIFEST, manifest)


def _generations(out: Path) -> int:
    """Finished generations in ``out``'s history.db (0 when it cannot be read)."""
    with contextlib.suppress(sqlite3.Error):
        with _read_only(out / HISTORY) as con:
            return int(con.execute("select count(*) from populations where t >= 0"
                                   ).fetchone()[0])
    return 0


# -- the results folder ------------------------------------------------------------------
def _open_out(out: Path, setup: Setup, file: Path) -> dict[str, Any]:
    """The folder's manifest: a new one, or the one of the same calibration to continue.
    A folder with links, or that holds anything else, is refused."""
    refuse_links(out)
    if os.path.lexists(out / MANIFEST):
        manifest = read_manifest(out, StorageError, "calibration results folder", MANIFEST)
        if manifest.get("fingerprint") != setup.fingerprint():
            raise ExperimentError("holds a different calibration (the file, its scenario or "
                                  "its targets changed); choose another --out",
                                  source=str(out))
        return manifest
    if any(p.name != LOCK for p in out.iterdir()):
        raise ExperimentError("exists and is not a calibration results folder; choose "
                              "another --out", source=str(out))
    with storage_errors(file, "cannot read"):
        write_atomic(out / "calibration.yaml", file.read_bytes())
    manifest = {**provenance.header("calibration", None), "created": _now(),
                "fingerprint": setup.fingerprint(),
                "calibration_file": str(file), "arm": setup.arm, "base_params": setup.base,
                "observed": {k: {"value": v, "sd": sd} for k, (v, sd) in
                             setup.observed.items()},
                "seeding": "candidate i of generation t: numpy seeded with "
                           "SeedSequence([seed, t + 1, i]); its run seeds = "
                           "SeedSequence([seed, 0, sha256(particle values)])"
                           ".spawn(replicates)", "abc_id": None, "status": "running"}
    write_json(out / MANIFEST, manifest)
    return manifest


def refuse_links(folder: Path) -> None:
    """One line when anything inside ``folder`` is a symbolic link: a calibration writes
    only files it made and never follows a link out of its folder."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                raise StorageError(f"{path.relative_to(folder)} is a symbolic link; trustsim "
                                   "does not follow links in a results folder (remove it or "
                                   "choose another --out)", source=str(folder))


# -- history.db ----------------------------------------------------------------------------
@contextlib.contextmanager
def _read_only(db: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        yield con
    finally:
        con.close()


def _usable_history(out: Path, abc_id: int | None) -> int | None:
    """``abc_id`` when history.db holds that run; None (start again) when the database
    was never finished: its creation interrupted (a full disk, a kill) or its file gone.
    An unfinished database is set aside in ``damaged/``, never deleted; one that
    cannot be read is one line (exit 2), left as it is."""
    db = out / HISTORY
    if not db.exists():
        if abc_id is not None:
            _warn(out, f"{HISTORY} is missing; the calibration starts again")
        return None
    why = "its creation did not finish" if abc_id is None else _unfinished(db, abc_id)
    if why is None:
        return abc_id
    _set_aside(out, db, why)
    return None


def _unfinished(db: Path, abc_id: int) -> str | None:
    """Why history.db does not hold run ``abc_id`` with a finished schema, or None."""
    try:
        with _read_only(db) as con:
            tables = {r[0] for r in con.execute("select name from sqlite_master")}
            if not {"version", "abc_smc", "populations"} <= tables:
                return "its schema was never finished"
            if not con.execute("select count(*) from version").fetchone()[0]:
                return "its schema has no version (version 0: its creation did not finish)"
            if not con.execute("select count(*) from abc_smc where id = ?",
                               (abc_id,)).fetchone()[0]:
                return f"it does not hold run {abc_id} of calibration.json"
    except sqlite3.Error as exc:
        raise StorageError(f"damaged ({exc}); move it away to start the calibration again",
                           source=str(db)) from None
    return None


def _set_aside(out: Path, db: Path, why: str) -> None:
    """Move an unfinished history.db to ``damaged/`` under a free name (never deleted)."""
    target = out / DAMAGED / HISTORY
    n = 1
    while os.path.lexists(target):
        n += 1
        target = out / DAMAGED / f"history-{n}.db"
    with storage_errors(target, "cannot set aside an unfinished history.db"):
        target.parent.mkdir(exist_ok=True)
        os.replace(db, target)
    _warn(out, f"{HISTORY} was not usable ({why}); set aside as "
               f"{target.relative_to(out)}; the calibration starts again")


def _warn(out: Path, message: str) -> None:
    print(f"trustsim: warning: {out}: {message}", file=sys.stderr)


@contextlib.contextmanager
def _database_errors(db: Path) -> Iterator[None]:
    """SQLite errors from pyabc (a full disk, a damaged file) as one line naming
    history.db, not a traceback of SQLAlchemy's."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    try:
        yield
    except OperationalError as exc:
        raise StorageError(f"cannot write ({exc.orig}); the finished generations are kept "
                           "and the same command continues", source=str(db)) from None
    except DatabaseError as exc:
        raise StorageError(f"damaged ({exc.orig}); move it away to start the calibration "
                           "again", source=str(db)) from None
