"""Measure what one run costs per agent and per tie: the constants of ``sim/capacity.py``.

Each configuration runs in a fresh process (so peak RSS is that run's alone): it builds
``TrustModel`` and steps it a few weeks, and reports the peak resident memory
(``ru_maxrss``), the build time and the time per week. Costs per unit are differences
against a tiny baseline divided by the units added; print them with

    .venv/bin/python benchmarks/capacity.py            # about three minutes on 2 cores

and compare them with the constants in ``sim/capacity.py`` (the script prints those too,
and the estimate each configuration gets, so a drifting model shows at once). The weekly
time costs depend on the engine: ``--engine vectorized`` or ``--engine agents`` measure
those (the agents engine on populations a fiftieth the size, as it is that much slower).
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from sim.runs import warm_up
from sim.model import TrustModel
params, weeks = json.loads(sys.argv[1]), int(sys.argv[2])
warm_up()  # compiled code loaded (or compiled) before the clock starts, as in a worker
t0 = time.perf_counter()
m = TrustModel(rng=1, weeks=max(weeks, 1), **params)
t1 = time.perf_counter()
for _ in range(weeks):
    m.step()
t2 = time.perf_counter()
print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "build": t1 - t0, "week": (t2 - t1) / max(weeks, 1)}))
"""

BASE = {"n_agencies": 2, "n_isps": 1, "n_families": 0, "partnership_density": 0.0}
#: Populations are scaled down for slow engines (the units are counted from the scale).
SCALE = {"compiled": 1.0, "vectorized": 1.0, "agents": 0.02}


def configs(scale: float) -> dict[str, tuple[dict, int]]:
    n = lambda x: max(2, int(x * scale))  # noqa: E731
    return {
        "baseline": ({}, 4),
        "families 400k": ({"n_families": n(400_000)}, 4),
        "families 800k": ({"n_families": n(800_000)}, 4),
        "agencies 5k, no ties": ({"n_agencies": n(5_000)}, 4),
        "isps 10k": ({"n_isps": n(10_000), "n_agencies": n(2_000)}, 4),
        "agencies 1.5k, density 1": ({"n_agencies": n(1_500), "partnership_density": 1.0}, 4),
        "agencies 2k, density 0.5": ({"n_agencies": n(2_000), "partnership_density": 0.5}, 4),
        "partner_joins 300": ({"n_agencies": 12, "partnership_density": 0.3,
                               "timeline": [{"kind": "partner_joins", "week": 1,
                                             "count": 300}]}, 2),
    }


def measure(params: dict, weeks: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps({**BASE, **params}),
                          str(weeks)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from sim import capacity

    engine = sys.argv[sys.argv.index("--engine") + 1] if "--engine" in sys.argv else "compiled"
    BASE["engine"] = engine
    CONFIGS = configs(SCALE[engine])  # noqa: N806
    print(f"engine: {engine}")
    rows = {name: measure(*cfg) for name, cfg in CONFIGS.items()}
    base = rows["baseline"]
    print(f"{'configuration':28} {'peak RSS':>10} {'build s':>8} {'s/week':>8} "
          f"{'estimate':>10} {'est. s':>8}")
    for name, r in rows.items():
        params, weeks = CONFIGS[name]
        est = capacity.estimate({**BASE, **params, "weeks": weeks})
        print(f"{name:28} {r['rss'] / 2**20:8.0f} MiB {r['build']:8.2f} {r['week']:8.3f} "
              f"{est.bytes / 2**20:6.0f} MiB {est.seconds:8.2f}")

    def added(name: str, key: str) -> float:
        return rows[name][key] - base[key]

    def per(name: str, key: str, unit: str) -> float:
        return added(name, key) / (CONFIGS[name][0][unit] - BASE[unit])

    fam = per("families 800k", "rss", "n_families")
    print("\nper unit (difference to the baseline / units added):")
    print(f"  bytes per family          {fam:8.0f}   "
          f"(400k: {per('families 400k', 'rss', 'n_families'):.0f})")
    print(f"  s per family-week         {per('families 800k', 'week', 'n_families'):.2e}")
    print(f"  s per family (build)      {per('families 800k', 'build', 'n_families'):.2e}")
    agency = per("agencies 5k, no ties", "rss", "n_agencies")
    print(f"  bytes per agency          {agency:8.0f}")
    print(f"  s per agency-week         {per('agencies 5k, no ties', 'week', 'n_agencies'):.2e}")
    isps = CONFIGS["isps 10k"][0]
    isp = (rows["isps 10k"]["rss"] - base["rss"] - isps["n_agencies"] * agency) / isps["n_isps"]
    print(f"  bytes per ISP             {isp:8.0f}")
    for name in ("agencies 1.5k, density 1", "agencies 2k, density 0.5"):
        n, d = CONFIGS[name][0]["n_agencies"], CONFIGS[name][0]["partnership_density"]
        ties = n * (n - 1) * d  # directed partnership ties
        print(f"  {name}: bytes per tie {added(name, 'rss') / ties:6.0f}, "
              f"s per tie (build) {added(name, 'build') / ties:.2e}, "
              f"s per tie-week {added(name, 'week') / ties:.2e}")
    joins = rows["partner_joins 300"]
    print(f"  partner_joins 300 (12 agencies, density 0.3): week 1 (the joins) "
          f"{joins['week'] * 2:.2f} s for both weeks")
    print("\nconstants in sim/capacity.py:")
    for key, value in capacity.COSTS.items():
        print(f"  {key:28} {value:.3g}")
    for key, value in capacity.WEEKLY_COSTS[engine].items():
        print(f"  {key:28} {value:.3g}  ({engine})")


if __name__ == "__main__":
    main()
