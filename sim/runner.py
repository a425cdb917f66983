"""The one runner: scenario runs (arms x replicates) and sweeps (points x replicates) are
lists of run specs that this module runs on one back end and hands, run by run, to a
store.

Runs travel to workers in tasks of several runs (``run_group``: a list of specs in, a list
of outputs out), so that a batched engine running many runs of one scenario in one call
can replace it. At most ``2 x workers`` tasks are in flight, so the coordinator's memory
stays flat however many runs there are. The back ends are ``concurrent.futures``
executors: this process itself (one worker), a local process pool (``sim.workerpool``) or
a Dask cluster (``dask.distributed.Client.get_executor``). A run that raises becomes a
failure record; Ctrl-C stops submitting, keeps what finished, and re-raises.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from sim.errors import TrustsimError

Output = dict[str, Any]


@dataclass(frozen=True)
class RunSpec:
    """One run: its parameters (one arm's, or a pair ``[(arm, params), (arm, params)]``
    for a paired difference), its seed and the labels that identify it in the results
    (``arm`` or ``point``, and ``replicate``)."""

    params: dict[str, Any] | list[tuple[str, dict[str, Any]]]
    seed: int
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """What each run keeps: time series every ``every`` weeks (0: last week only), the
    ``outcomes`` and ``weekly`` columns (None: all)."""

    every: int = 1
    outcomes: list[str] | None = None
    weekly: list[str] | None = None
    agents: dict[str, list[str]] | None = None  # sim.reporters names by agent type


def run_group(specs: list[RunSpec], recording: Recording) -> list[Output]:
    """Run several runs one after another (what a worker runs); never raises."""
    return [run_spec(spec, recording) for spec in specs]


def run_spec(spec: RunSpec, recording: Recording) -> Output:
    """One run: its labels, seed, summary and weekly columns (as arrays: they pickle several
    times faster than a DataFrame), or its error and traceback."""
    from sim import runs
    from sim.paired import keeps

    ident = {**spec.labels, "seed": spec.seed}
    start = time.perf_counter()
    agents = None
    try:
        if isinstance(spec.params, dict) and recording.agents:
            columns, outcomes, agents = runs.run_agent_columns(
                spec.params, spec.seed, recording.every, recording.agents)
        elif isinstance(spec.params, dict):
            columns, outcomes = runs.run_columns(spec.params, spec.seed, every=recording.every)
        else:
            from sim.paired import run_paired

            out = run_paired(spec.params, spec.seed, every=recording.every)
            columns = {c: out.timeseries[c].to_numpy() for c in out.timeseries}
            outcomes = out.summary
        summary = {k: _float(v) for k, v in outcomes.items() if keeps(recording.outcomes, k)}
        weekly = [c for c in columns if recording.weekly is None or c == "week"
                  or c in recording.weekly]
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, not raised
        return {**ident, "error": one_line(exc), "traceback": traceback.format_exc(limit=20),
                "seconds": time.perf_counter() - start}
    out = {**ident, "summary": summary, "timeseries": {c: columns[c] for c in weekly},
           "seconds": time.perf_counter() - start}
    if agents is not None:
        out["agents"] = agents
    return out


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and message, whitespace folded."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


# -- back ends --------------------------------------------------------------------------
class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (one worker: no process
    start-up, and Ctrl-C reaches the run directly)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - reported through the future
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    """Where runs run: an executor, how many runs it runs at once, how to close it
    (``close(now=True)`` after Ctrl-C stops local workers at once)."""

    executor: Executor
    workers: int
    close: Callable[..., None]


def backend(workers: int | None = None, scheduler: str | None = None,
            preload: list[str] | None = None) -> Backend:
    """This process (``workers == 1``), a local pool of ``workers`` processes (default:
    ``default_workers()``) or, with ``scheduler`` (``tcp://host:port``), a Dask cluster."""
    if scheduler:
        return _dask(scheduler)
    from sim.workerpool import default_workers, local_pool, shutdown

    n = workers or default_workers()
    if n < 1:
        raise TrustsimError(f"--workers must be at least 1, got {n}")
    if n == 1:
        return Backend(InlineExecutor(), 1, lambda now=False: None)
    pool = local_pool(n, _preload(preload))
    return Backend(pool, n, lambda now=False: shutdown(pool, now))


def prestart(workers: int | None = None, scheduler: str | None = None,
             preload: list[str] | None = None) -> None:
    """Get local workers' forkserver ready in the background (``backend`` would start it
    later), while the caller still reads and checks its work; nothing for one worker or
    a Dask cluster."""
    from sim.workerpool import default_workers, start_forkserver

    if not scheduler and (workers or default_workers()) > 1:
        start_forkserver(_preload(preload))


def _preload(extra: list[str] | None) -> list[str]:
    return [*(extra or []), "sim.runner"]


def check_scheduler(address: str) -> None:
    """One line unless ``address`` has the form of a scheduler address (checked before
    any connection is tried, or any file is read)."""
    from distributed.comm import parse_address, parse_host_port

    try:
        parse_host_port(parse_address(address)[1])
    except ValueError as exc:
        raise TrustsimError(f"--scheduler {address!r} is not a scheduler address ({exc}); "
                            "expected tcp://HOST:PORT") from None


def _dask(address: str) -> Backend:
    from distributed import Client

    check_scheduler(address)
    quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client",
                                            "distributed.comm", "tornado")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout="5s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is one user-facing line
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise TrustsimError(f"cannot reach the Dask scheduler at {address} ({reason}); "
                            "is `dask scheduler` running there?") from None
    finally:
        for lg, level in zip(quiet, levels, strict=True):
            lg.setLevel(level)
    executor = client.get_executor(pure=False)

    def close(now: bool = False) -> None:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
        client.close()

    return Backend(executor, max(sum(client.nthreads().values()), 1), close)


# -- how many runs a task holds -----------------------------------------------------------
#: A task should keep a worker busy about this long: handing it over (pickling, a future)
#: is then a small share of it, and progress and Ctrl-C still answer within seconds.
TASK_SECONDS = 2.0
#: Tasks per worker at least, so that workers finish together and the bar moves.
TASKS_PER_WORKER = 4
MAX_TASK_SIZE = 500
#: Bytes a kept week of a run's record takes on its way back (about 70 float columns).
BYTES_PER_KEPT_WEEK = 70 * 8


def task_size(params: dict[str, Any] | list, recording: Recording, workers: int,
              n_runs: int) -> int:
    """Runs per task: as many as take about ``TASK_SECONDS`` by the run's cost estimate
    (``sim.capacity.estimate``), no more than a worker's share of free memory can hold
    as finished outputs until the task returns, and few enough that every worker gets
    ``TASKS_PER_WORKER`` tasks."""
    from sim import capacity
    from sim.parameters import PARAMETERS

    pairs = params if isinstance(params, list) else [(None, params)]  # a paired run: both
    est = capacity.estimate(pairs[0][1])
    weeks = int(pairs[0][1].get("weeks", PARAMETERS["weeks"].default))
    every = recording.every
    kept = 1 if every <= 0 else weeks if every == 1 else weeks // every + 1
    per_run = len(pairs) * (BYTES_PER_KEPT_WEEK * kept + 4096)
    budget = capacity.MEMORY_SHARE * capacity.available_memory() / max(workers, 1) - est.bytes
    by_memory = int(max(budget, 0) // per_run)
    by_time = int(TASK_SECONDS // max(len(pairs) * est.seconds, 1e-6))
    by_balance = math.ceil(n_runs / (TASKS_PER_WORKER * max(workers, 1)))
    return max(1, min(by_time, by_memory, by_balance, MAX_TASK_SIZE))


def chosen_task_size(given: int | None, first: RunSpec | None, recording: Recording,
                     workers: int, n_runs: int) -> int:
    """``given`` (``--task-size``), else ``task_size`` by the first run to do (1 when
    none is left): what every runner hands ``execute``."""
    if given is not None:
        return given
    return 1 if first is None else task_size(first.params, recording, workers, n_runs)


# -- the loop ----------------------------------------------------------------------------
def execute(specs: Iterable[RunSpec], backend: Backend, on_done: Callable[[Output], None],
            recording: Recording = Recording(), task_size: int = 1,
            idle: Callable[[], None] | None = None) -> None:
    """Run every spec on ``backend`` in tasks of up to ``task_size`` runs and hand each
    run's output to ``on_done`` as its task finishes (``idle`` is called at least once a
    second). A task the back end loses (a Dask worker gone) becomes failure records; a
    dead local pool, Ctrl-C or an error of ``on_done`` stops the loop: tasks not started
    are cancelled, those that had finished are handed on, and the exception propagates."""
    tasks = _chunks(iter(specs), task_size)
    limit = max(2 * backend.workers, 4)
    inflight: dict[Future, list[RunSpec]] = {}
    try:
        while True:
            while len(inflight) < limit and (task := next(tasks, None)) is not None:
                inflight[backend.executor.submit(run_group, task, recording)] = task
            if not inflight:
                return
            finished, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
            # In submission order (``finished`` is a set), so what is handed on first
            # does not depend on set order.
            for future in [f for f in inflight if f in finished]:
                for output in _outputs(future, inflight.pop(future)):
                    on_done(output)
            if idle is not None:
                idle()
    except BaseException:
        for future in inflight:
            future.cancel()
        with contextlib.suppress(BaseException):
            for future in inflight:
                if future.done() and not future.cancelled() and future.exception() is None:
                    for output in future.result():
                        on_done(output)
        raise


def _outputs(future: Future, task: list[RunSpec]) -> list[Output]:
    """The task's outputs, or a failure record per run when it could not report any."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:  # noqa: BLE001
        return [{**s.labels, "seed": s.seed, "error": one_line(exc), "traceback": ""}
                for s in task]


def _chunks(specs: Iterator[RunSpec], size: int) -> Iterator[list[RunSpec]]:
    while chunk := [s for _, s in zip(range(max(size, 1)), specs, strict=False)]:
        yield chunk
