"""Measure what one run costs per agent and per tie: the constants of ``sim/capacity.py``.

Each configuration runs in a fresh process (so peak RSS is that run's alone): it builds
``TrustModel`` and steps it a few weeks, and reports the peak resident memory
(``ru_maxrss``), the build time and the time per week. Costs per unit are differences
against a tiny baseline divided by the units added; print them with

    .venv/bin/python benchmarks/capacity.py            # about three minutes on 2 cores

and compare them with the constants in ``sim/capacity.py`` (the script prints those too,
and the estimate each configuration gets, so a drifting model shows at once).
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from sim.model import TrustModel
params, weeks = json.loads(sys.argv[1]), int(sys.argv[2])
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
CONFIGS = {
    "baseline": ({}, 4),
    "families 400k": ({"n_families": 400_000}, 4),
    "families 800k": ({"n_families": 800_000}, 4),
    "agencies 5k, no ties": ({"n_agencies": 5_000}, 4),
    "isps 10k": ({"n_isps": 10_000, "n_agencies": 2_000}, 4),
    "agencies 1.5k, density 1": ({"n_agencies": 1_500, "partnership_density": 1.0}, 4),
    "agencies 2k, density 0.5": ({"n_agencies": 2_000, "partnership_density": 0.5}, 4),
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

    rows = {name: measure(*cfg) for name, cfg in CONFIGS.items()}
    base = rows["baseline"]
    print(f"{'configuration':28} {'peak RSS':>10} {'build s':>8} {'s/week':>8} "
          f"{'estimate':>10} {'est. s':>8}")
    for name, r in rows.items():
        params, weeks = CONFIGS[name]
        est = capacity.estimate({**BASE, **params, "weeks": weeks})
        print(f"{name:28} {r['rss'] / 2**20:8.0f} MiB {r['build']:8.2f} {r['week']:8.3f} "
              f"{est.bytes / 2**20:6.0f} MiB {est.seconds:8.2f}")

    def per(name: str, units: float, key: str) -> float:
        return (rows[name][key] - base[key]) / units

    fam = per("families 800k", 800_000, "rss")
    print("\nper unit (difference to the baseline / units added):")
    print(f"  bytes per family          {fam:8.0f}   "
          f"(400k: {per('families 400k', 400_000, 'rss'):.0f})")
    print(f"  s per family-week         {per('families 800k', 800_000, 'week'):.2e}")
    print(f"  s per family (build)      {per('families 800k', 800_000, 'build'):.2e}")
    agency = per("agencies 5k, no ties", 5_000, "rss")
    print(f"  bytes per agency          {agency:8.0f}")
    print(f"  s per agency-week         {per('agencies 5k, no ties', 5_000, 'week'):.2e}")
    isp = (rows["isps 10k"]["rss"] - base["rss"] - 2_000 * agency) / 10_000
    print(f"  bytes per ISP             {isp:8.0f}")
    for name, n, d in (("agencies 1.5k, density 1", 1_500, 1.0),
                       ("agencies 2k, density 0.5", 2_000, 0.5)):
        ties = n * (n - 1) * d  # directed partnership ties
        print(f"  {name}: bytes per tie {per(name, ties, 'rss'):6.0f}, "
              f"s per tie (build) {per(name, ties, 'build'):.2e}, "
              f"s per tie-week {per(name, ties, 'week'):.2e}")
    joins = rows["partner_joins 300"]
    print(f"  partner_joins 300 (12 agencies, density 0.3): week 1 (the joins) "
          f"{joins['week'] * 2:.2f} s for both weeks")
    print("\nconstants in sim/capacity.py:")
    for key, value in capacity.COSTS.items():
        print(f"  {key:28} {value:.3g}")


if __name__ == "__main__":
    main()
