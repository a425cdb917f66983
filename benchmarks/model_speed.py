"""Speed and memory of one model run, each engine, county and state scale.

Prints seconds, peak memory (max RSS of a fresh process per measurement) and
micro-interactions per second, with the goals beside them. Not a test: run it as
`python benchmarks/model_speed.py` (or `make bench`). Each measurement runs in its own
subprocess so peak memory is that run's alone.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SCALES = {
    "county": dict(n_agencies=12, n_isps=4, n_families=1200, weeks=260),
    "state": dict(n_agencies=300, n_isps=60, n_families=100_000, weeks=520),
}
# The agents engine at state scale is estimated from a few weeks first; over this many
# seconds it is not run in full.
AGENTS_LIMIT = 600
REPEATS = {("county", "compiled"): 5, ("county", "vectorized"): 5, ("county", "agents"): 1,
           ("state", "compiled"): 2, ("state", "vectorized"): 2, ("state", "agents"): 1}


def one(scale: str, engine: str, weeks: int | None = None) -> dict:
    """Run one model in this process and report its figures."""
    from sim.model import TrustModel

    params = dict(SCALES[scale], engine=engine)
    if weeks:
        params["weeks"] = weeks
    # imports and compiled code loaded out of the timing
    TrustModel(rng=0, n_agencies=2, n_families=5, weeks=1, engine=engine).run()
    t0 = time.perf_counter()
    model = TrustModel(rng=1, **params)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.run()
    run = time.perf_counter() - t1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return dict(scale=scale, engine=engine, weeks=params["weeks"], build_s=build, run_s=run,
                seconds=build + run, peak_mib=rss, interactions=model.micro_interactions,
                per_second=model.micro_interactions / run)


def measure(scale: str, engine: str, weeks: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--one", scale, engine] + ([str(weeks)] if weeks else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(scale: str, engine: str) -> dict:
    runs = [measure(scale, engine) for _ in range(REPEATS[scale, engine])]
    return min(runs, key=lambda r: r["seconds"])


def line(r: dict, goal: str = "") -> str:
    return (f"{r['scale']:7s} {r['engine']:10s} {r['weeks']:4d} weeks  {r['seconds']:8.2f} s  "
            f"peak {r['peak_mib']:7.0f} MiB  {r['per_second']:12,.0f} micro-interactions/s"
            f"  {goal}")


def main() -> None:
    print("trustsim model speed (best of 5 county / 2 state runs; one fresh process each)")
    county_c = best("county", "compiled")
    print(line(county_c, "the default engine"))
    county_v = best("county", "vectorized")
    print(line(county_v, "goal: under 0.25 s"))
    print(f"county: compiled is {county_v['seconds'] / county_c['seconds']:.1f}x faster than "
          "vectorized (every week measured, as here)")
    county_a = best("county", "agents")
    print(line(county_a))
    ratio = county_a["seconds"] / county_v["seconds"]
    print(f"county: vectorized is {ratio:.0f}x faster than agents (goal: at least 30x)")
    print(line(best("state", "compiled"), "goal: under 30 s and under 2,048 MiB"))
    state_v = best("state", "vectorized")
    print(line(state_v, "goal: under 30 s and under 2,048 MiB"))
    probe = measure("state", "agents", weeks=2)
    projected = probe["run_s"] / 2 * SCALES["state"]["weeks"] + probe["build_s"]
    if projected > AGENTS_LIMIT:
        print(f"state   agents     not run: 2 weeks took {probe['run_s']:.1f} s, so 520 weeks "
              f"would take about {projected / 60:.0f} min (over {AGENTS_LIMIT // 60} min)")
    else:
        print(line(best("state", "agents")))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        weeks = int(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(one(sys.argv[2], sys.argv[3], weeks)))
    else:
        main()
