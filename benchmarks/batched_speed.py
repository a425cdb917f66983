"""Throughput of many runs: one run at a time with the full weekly record (how runs ran
before) vs a task of many runs through ``sim.runner.run_group`` (what every runner's
worker calls), the state scale, and the arithmetic limit a plain compiled loop reaches.

Prints county-scale runs per second of both on one core, their ratio against the goal of
issue 11 (30x), memory held per run by a task, the state scale's time and peak memory
both ways, and
a numba loop doing the same weekly updates of a county run (forgetting on every tie,
family contacts, ISP micro-interactions, partner contacts, stage draws, the weekly trust
means) as the reference for how fast the arithmetic alone can go. Not a test: run it as
``python benchmarks/batched_speed.py`` (``make bench`` does). Each measurement runs in a
fresh process pinned to one core, so peak memory is its own.
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
    seeds = _seeds(n)
    _full_record(COUNTY, seeds[0])  # imports and first-call costs out of the timing
    t = time.perf_counter()
    for s in seeds:
        _full_record(COUNTY, s)
    return dict(runs_per_s=n / (time.perf_counter() - t), peak_mib=_rss_mib())


def batched(n: int) -> dict:
    seeds = _seeds(n)
    _task([COUNTY], seeds[:1])
    base = _rss_mib()
    t = time.perf_counter()
    _task([COUNTY] * n, seeds)
    seconds = time.perf_counter() - t
    return dict(runs_per_s=n / seconds, peak_mib=_rss_mib(),
                mib_per_run=(_rss_mib() - base) / n)


def state(batched: bool) -> dict:
    t = time.perf_counter()
    if batched:
        _task([STATE], [1])
    else:
        _full_record(STATE, 1)
    return dict(seconds=time.perf_counter() - t, peak_mib=_rss_mib())


def compiled(n: int) -> dict:
    """Runs/s of a numba loop doing a county run's weekly updates (not the model: the
    same amount of arithmetic and random draws, with no Python between them), drawing
    from numpy's SFC64 generator inside the loop."""
    import numpy as np
    from numba import njit

    @njit(cache=False)
    def run(rng, n_ag, n_fam, n_pair, k_types, weeks):
        ties = n_ag * 2 + n_pair + n_fam
        r = np.zeros((ties, 3))
        s = np.zeros((ties, 3))
        prior = np.full((ties, 3), 0.5)
        fam_agency = rng.integers(0, n_ag, n_fam)
        engaged = np.zeros(n_fam, np.bool_)
        stage = np.zeros(n_ag, np.int64)
        knowledge = np.full(n_ag, 0.2)
        record = 0.0
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
                    c = rng.poisson(0.4)
                    g = rng.binomial(c, 0.3 + 0.5 * trust)
                    kept = rng.binomial(c, 0.7)
                    for d in range(3):
                        r[a, d] += g * 0.3
                        s[a, d] += (c - g) * 0.6
                        r[n_ag + a, d] += kept * 0.3
                        s[n_ag + a, d] += (c - kept) * 0.6
                    knowledge[a] += (1 - knowledge[a]) * 0.01 * g * trust
            for t in range(2 * n_ag, 2 * n_ag + n_pair):  # partner contacts
                c = rng.poisson(0.5)
                g = rng.binomial(c, 0.6)
                for d in range(3):
                    r[t, d] += g
                    s[t, d] += 2 * (c - g)
            base = 2 * n_ag + n_pair
            for f in range(n_fam):  # families: close, contact, good, engage, disengage
                i = base + f
                trust = 0.0
                for d in range(3):
                    trust += (r[i, d] + 2 * prior[i, d]) / (r[i, d] + s[i, d] + 2) / 3
                close = rng.random() < 0.02
                contact = rng.random() < 0.5
                good = rng.random() < 0.6
                engage = rng.random() < 0.1 * trust
                leave = rng.random() < 0.05 * (1 - trust)
                if contact:
                    for d in range(3):
                        r[i, d] += good
                        s[i, d] += 2 * (1 - good)
                engaged[f] = (engaged[f] and not leave) or (not engaged[f] and engage)
                if close:
                    fam_agency[f] = int(rng.random() * n_ag)
                    for d in range(3):
                        r[i, d] = 0.0
                        s[i, d] = 0.0
            for a in range(n_ag):  # stages
                u = rng.random()
                if u < 0.02 * knowledge[a]:
                    stage[a] = min(stage[a] + 1, 5)
                elif u < 0.02 * knowledge[a] + 0.005:
                    stage[a] = max(stage[a] - 1, 0)
            for i in range(ties):  # the weekly trust means (outcomes)
                for d in range(3):
                    record += (r[i, d] + 2 * prior[i, d]) / (r[i, d] + s[i, d] + 2)
        return record + engaged.sum() + stage.sum()

    args = (COUNTY["n_agencies"], COUNTY["n_families"], 34, 11, COUNTY["weeks"])
    run(np.random.Generator(np.random.SFC64(0)), *args)  # compile
    t = time.perf_counter()
    for seed in range(n):
        run(np.random.Generator(np.random.SFC64(seed)), *args)
    return dict(runs_per_s=n / (time.perf_counter() - t))


JOBS = {"single": lambda: single(COUNTY_RUNS), "batched": lambda: batched(COUNTY_RUNS),
        "state": lambda: state(True), "state_single": lambda: state(False),
        "compiled": lambda: compiled(200)}


def measure(job: str) -> dict:
    cmd = [sys.executable, __file__, "--one", job]
    if shutil.which("taskset"):  # one core, as the goal is stated
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"trustsim batched throughput (county: {COUNTY_RUNS} runs of 156 weeks, one core; "
          "fresh process each)")
    one, many, ref = measure("single"), measure("batched"), measure("compiled")
    ratio = many["runs_per_s"] / one["runs_per_s"]
    print(f"county  one at a time, full record {one['runs_per_s']:8.1f} runs/s")
    print(f"county  task of runs (run_group)  {many['runs_per_s']:8.1f} runs/s  "
          f"{ratio:5.2f}x single (goal: at least {GOAL:.0f}x)  "
          f"peak {many['peak_mib']:.0f} MiB, {many['mib_per_run']:.2f} MiB held per run")
    print(f"county  compiled reference loop   {ref['runs_per_s']:8.1f} runs/s  "
          f"{ref['runs_per_s'] / one['runs_per_s']:5.0f}x single (the arithmetic limit)")
    alone, st = measure("state_single"), measure("state")
    print(f"state   full record              {alone['seconds']:8.1f} s  "
          f"peak {alone['peak_mib']:.0f} MiB")
    print(f"state   run_group, 1 run         {st['seconds']:8.1f} s  peak {st['peak_mib']:.0f} "
          "MiB (goal: no slower than the full record, under 2,048 MiB)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(JOBS[sys.argv[2]]()))
    else:
        main()
