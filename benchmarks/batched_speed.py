"""Throughput of the engines on many runs (issue 11), on one core and on several.

Prints county-scale runs per second on one core: the vectorized engine one run at a time
with every week measured (how runs ran before), the vectorized and the compiled engine
in a task of runs through ``sim.runner.run_group`` (what every runner's worker calls),
the compiled engine's ratio to the vectorized one against the goal of issue 11 (30x),
measured both apart and paired (alternating blocks of the two engines in one process, so
the machine's changing speed falls on both alike), and the memory a task holds per run;
the state scale's time and peak memory with both
engines; a numba loop doing the same weekly updates as a county run (forgetting on every
tie, family contacts, ISP micro-interactions, partner contacts, stage draws, the weekly
trust means) as a reference with no Python at all; and runs per
second on 1, 2 and all local cores (and on a Dask cluster with ``--scheduler
tcp://HOST:PORT``). Not a test: run it as ``python benchmarks/batched_speed.py`` (``make
bench`` does). Each one-core figure runs in a fresh process pinned to one core, so peak
memory is its own.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time

COUNTY = dict(n_agencies=12, n_isps=4, n_families=1200, weeks=156)
STATE = dict(n_agencies=300, n_isps=60, n_families=100_000, weeks=520)
COUNTY_RUNS = 20
GOAL = 30.0


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _seeds(n: int) -> list[int]:
    from sim.runs import run_seed

    return [run_seed(1, 0, r) for r in range(n)]


def _full_record(params: dict, seed: int) -> None:
    """One run as runs ran before: every week measured, the last kept."""
    from sim.model import TrustModel
    from sim.runs import keep_weeks

    model = TrustModel(rng=seed, **params).run()
    keep_weeks(model.datacollector.get_model_vars_dataframe(), 0)
    model.summary()


def _task(params: list[dict], seeds: list[int]) -> list[dict]:
    from sim.runner import Recording, RunSpec, run_group

    out = run_group([RunSpec(p, s) for p, s in zip(params, seeds, strict=True)],
                    Recording(every=0))
    assert all("summary" in o for o in out), out
    return out


def single(n: int) -> dict:
    """One run at a time with every week measured: how runs ran before issue 11."""
    seeds = _seeds(n)
    params = {**COUNTY, "engine": "vectorized"}
    _full_record(params, seeds[0])  # imports and first-call costs out of the timing
    t = time.perf_counter()
    for s in seeds:
        _full_record(params, s)
    return dict(runs_per_s=n / (time.perf_counter() - t), peak_mib=_rss_mib())


def task(n: int, engine: str) -> dict:
    """A task of ``n`` runs through ``run_group`` (last week kept), as workers run them."""
    seeds = _seeds(n)
    params = {**COUNTY, "engine": engine}
    _task([params], seeds[:1])  # imports, compiled code and first-call costs out of it
    base = _rss_mib()
    t = time.perf_counter()
    _task([params] * n, seeds)
    seconds = time.perf_counter() - t
    return dict(runs_per_s=n / seconds, peak_mib=_rss_mib(),
                mib_per_run=(_rss_mib() - base) / n)


def paired(rounds: int, vectorized_runs: int = 2, compiled_runs: int = 60) -> dict:
    """The compiled engine's ratio to the vectorized one in one process, block by block:
    a few vectorized runs, then about as long of compiled runs, ``rounds`` times, so that
    both engines are timed in the same seconds (this machine's speed moves by a fifth
    from one minute to the next, and separate measurements of the two carry that into
    the ratio). Returns the ratio of the totals and each block pair's ratio."""
    from statistics import median

    vec, com = {**COUNTY, "engine": "vectorized"}, {**COUNTY, "engine": "compiled"}
    seeds = _seeds(rounds * compiled_runs)  # other runs in every block
    _task([vec], seeds[:1])  # imports, compiled code and first-call costs out of it
    _task([com], seeds[:1])
    spent, ratios = [0.0, 0.0], []
    for k in range(rounds):
        t0 = time.perf_counter()
        _task([vec] * vectorized_runs, seeds[k * vectorized_runs:(k + 1) * vectorized_runs])
        t1 = time.perf_counter()
        _task([com] * compiled_runs, seeds[k * compiled_runs:(k + 1) * compiled_runs])
        t2 = time.perf_counter()
        spent[0] += t1 - t0
        spent[1] += t2 - t1
        ratios.append((compiled_runs / (t2 - t1)) / (vectorized_runs / (t1 - t0)))
    total = (compiled_runs * rounds / spent[1]) / (vectorized_runs * rounds / spent[0])
    return dict(ratio=total, median=median(ratios), low=min(ratios), high=max(ratios))


def state(engine: str) -> dict:
    _task([{**STATE, "weeks": 2, "engine": engine}], [1])  # compile out of the timing
    t = time.perf_counter()
    _task([{**STATE, "engine": engine}], [1])
    return dict(seconds=time.perf_counter() - t, peak_mib=_rss_mib())


def cores(workers: int, scheduler: str | None, n: int) -> dict:
    """County runs per second of the default engine on ``workers`` local processes or on
    a Dask cluster, as ``trustsim sweep`` hands them out (tasks of runs)."""
    from sim.runner import Recording, RunSpec, backend, execute

    specs = [RunSpec(COUNTY, s) for s in _seeds(n)]
    back = backend(workers, scheduler)
    try:
        execute(specs[: 2 * workers], back, lambda o: None, Recording(every=0))  # warm up
        t = time.perf_counter()
        execute(specs, back, lambda o: None, Recording(every=0), task_size=10)
        seconds = time.perf_counter() - t
    finally:
        back.close()
    return dict(runs_per_s=n / seconds)


def compiled(n: int) -> dict:
    """Runs/s of a numba loop doing a county run's weekly updates (not the model: the
    same amount of arithmetic and random draws, with no Python between them), drawing
    as the compiled engine draws (``sim.engines.streams``: one xoshiro256++ stream, counts
    by inversion, rare case closures by skipping to the next one)."""
    import math

    import numpy as np
    from numba import njit

    from sim.engines.streams import binomial, load, next_success, poisson, store, uniform

    @njit(cache=False)
    def run(stream, n_ag, n_fam, n_pair, k_types, weeks):
        ties = n_ag * 2 + n_pair + n_fam
        r = np.zeros((ties, 3))
        s = np.zeros((ties, 3))
        prior = np.full((ties, 3), 0.5)
        fam_agency = np.zeros(n_fam, np.int64)
        for f in range(n_fam):
            fam_agency[f] = int(uniform(stream) * n_ag)
        engaged = np.zeros(n_fam, np.bool_)
        stage = np.zeros(n_ag, np.int64)
        knowledge = np.full(n_ag, 0.2)
        record = 0.0
        log_stays_open = math.log1p(-0.02)
        for _ in range(weeks):
            for i in range(ties):  # forgetting
                for d in range(3):
                    r[i, d] *= 0.99
                    s[i, d] *= 0.99
            for a in range(n_ag):  # ISP micro-interactions, both ties, effects
                trust = 0.0
                for d in range(3):
                    trust += (r[a, d] + 2 * prior[a, d]) / (r[a, d] + s[a, d] + 2) / 3
                for _k in range(k_types):
                    c = poisson(stream, 0.4)
                    g = binomial(stream, c, 0.3 + 0.5 * trust)
                    kept = binomial(stream, c, 0.7)
                    for d in range(3):
                        r[a, d] += g * 0.3
                        s[a, d] += (c - g) * 0.6
                        r[n_ag + a, d] += kept * 0.3
                        s[n_ag + a, d] += (c - kept) * 0.6
                    knowledge[a] += (1 - knowledge[a]) * 0.01 * g * trust
            for t in range(2 * n_ag, 2 * n_ag + n_pair):  # partner contacts
                c = poisson(stream, 0.5)
                g = binomial(stream, c, 0.6)
                for d in range(3):
                    r[t, d] += g
                    s[t, d] += 2 * (c - g)
            base = 2 * n_ag + n_pair
            for f in range(n_fam):  # families: contact, good, engage, disengage
                i = base + f
                trust = 0.0
                for d in range(3):
                    trust += (r[i, d] + 2 * prior[i, d]) / (r[i, d] + s[i, d] + 2) / 3
                contact = uniform(stream) < 0.5
                good = uniform(stream) < 0.6
                engage = uniform(stream) < 0.1 * trust
                leave = uniform(stream) < 0.05 * (1 - trust)
                if contact:
                    for d in range(3):
                        r[i, d] += good
                        s[i, d] += 2 * (1 - good)
                engaged[f] = (engaged[f] and not leave) or (not engaged[f] and engage)
            at = -1.0
            while True:  # cases closing
                at, x = next_success(load(stream), at, log_stays_open)
                store(stream, x)
                if at >= n_fam:
                    break
                f = int(at)
                fam_agency[f] = int(uniform(stream) * n_ag)
                for d in range(3):
                    r[base + f, d] = 0.0
                    s[base + f, d] = 0.0
            for a in range(n_ag):  # stages
                u = uniform(stream)
                if u < 0.02 * knowledge[a]:
                    stage[a] = min(stage[a] + 1, 5)
                elif u < 0.02 * knowledge[a] + 0.005:
                    stage[a] = max(stage[a] - 1, 0)
            for i in range(ties):  # the weekly trust means (outcomes)
                for d in range(3):
                    record += (r[i, d] + 2 * prior[i, d]) / (r[i, d] + s[i, d] + 2)
        return record + engaged.sum() + stage.sum()

    def stream(seed: int) -> np.ndarray:
        return np.random.default_rng(seed).bit_generator.random_raw(4) | np.uint64(1)

    args = (COUNTY["n_agencies"], COUNTY["n_families"], 34, 11, COUNTY["weeks"])
    run(stream(0), *args)  # compile
    t = time.perf_counter()
    for seed in range(n):
        run(stream(seed), *args)
    return dict(runs_per_s=n / (time.perf_counter() - t))


JOBS = {"single": lambda: single(COUNTY_RUNS),
        "vectorized": lambda: task(COUNTY_RUNS, "vectorized"),
        "compiled_engine": lambda: task(5 * COUNTY_RUNS, "compiled"),
        "state_vectorized": lambda: state("vectorized"),
        "state_compiled": lambda: state("compiled"),
        "compiled": lambda: compiled(200),
        "paired": lambda: paired(10)}


def measure(job: str, pin: bool = True) -> dict:
    cmd = [sys.executable, __file__, "--one", job]
    if pin and shutil.which("taskset"):  # one core, as the goal is stated
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(scheduler: str | None) -> None:
    print("trustsim engine throughput (county: 12 agencies, 4 ISPs, 1,200 families, 156 "
          "weeks; one core, a fresh process each)")
    old, vec, com, ref = (measure(j) for j in ("single", "vectorized", "compiled_engine",
                                                "compiled"))
    ratio = com["runs_per_s"] / vec["runs_per_s"]
    print(f"county  vectorized, every week measured {old['runs_per_s']:8.1f} runs/s  "
          "(how runs ran before)")
    print(f"county  vectorized, task of runs        {vec['runs_per_s']:8.1f} runs/s")
    print(f"county  compiled,   task of runs        {com['runs_per_s']:8.1f} runs/s  "
          f"{ratio:5.1f}x vectorized (goal of issue 11: at least {GOAL:.0f}x), "
          f"{com['runs_per_s'] / old['runs_per_s']:.1f}x the old way; "
          f"peak {com['peak_mib']:.0f} MiB, {com['mib_per_run']:.3f} MiB held per run")
    both = measure("paired")
    print(f"county  compiled/vectorized, paired     {both['ratio']:8.1f}x     (one process, "
          f"10 alternating blocks timed in the same seconds: median {both['median']:.1f}x, "
          f"{both['low']:.1f}-{both['high']:.1f}x; goal {GOAL:.0f}x)")
    print(f"county  compiled reference loop         {ref['runs_per_s']:8.1f} runs/s  "
          f"(the same kinds of updates with no Python, every family drawing each kind "
          f"every week: the compiled engine runs at {com['runs_per_s'] / ref['runs_per_s']:.0%}"
          f" of its speed)")
    for engine in ("vectorized", "compiled"):
        st = measure(f"state_{engine}")
        print(f"state   {engine:10s} one run             {st['seconds']:8.1f} s  "
              f"peak {st['peak_mib']:.0f} MiB (goal: no slower than before, under 2,048 MiB)")
    all_cores = default_workers()
    for workers in sorted({1, 2, all_cores}):
        got = json.loads(subprocess.run(
            [sys.executable, __file__, "--cores", str(workers)], capture_output=True,
            text=True, check=True).stdout.strip().splitlines()[-1])
        print(f"county  compiled, {workers} local worker(s)      {got['runs_per_s']:8.1f} runs/s")
    if scheduler:
        got = cores(0, scheduler, 40 * COUNTY_RUNS)
        print(f"county  compiled, Dask at {scheduler}  {got['runs_per_s']:8.1f} runs/s")


def default_workers() -> int:
    from sim.workerpool import default_workers as workers

    return workers()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(JOBS[sys.argv[2]]()))
    elif len(sys.argv) == 3 and sys.argv[1] == "--cores":
        print(json.dumps(cores(int(sys.argv[2]), None, 20 * COUNTY_RUNS * int(sys.argv[2]))))
    else:
        main(sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--scheduler" else None)
