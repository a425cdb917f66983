"""How long the censored point summary takes for a large sweep: ``sim.censor.medians``
over POINTS design points x REPLICATES runs x OUTCOMES time outcomes, 30% of runs never
reaching the time (synthetic values; the cost does not depend on them).

Goal: the point summary of a 22,000-point Sobol sweep (N = 1,024, ten parameters) with
40 outcomes stays well under a minute.

    .venv/bin/python benchmarks/censored_medians.py [POINTS] [REPLICATES] [OUTCOMES]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from sim.censor import medians


def main(points: int = 2000, replicates: int = 4, outcomes: int = 10) -> None:
    rng = np.random.default_rng(0)
    runs = pd.DataFrame({"point": np.repeat(np.arange(points), replicates)})
    names = [f"time_to_{k}" for k in range(outcomes)]
    for name in names:
        times = rng.exponential(50, len(runs))
        runs[name] = np.where(rng.random(len(runs)) < 0.3, np.nan, times)
    start = time.perf_counter()
    table = medians(runs, "point", names, 156)
    seconds = time.perf_counter() - start
    print(f"{len(table):,} estimates ({points:,} points x {outcomes} outcomes, "
          f"{replicates} replicates) in {seconds:.2f} s: "
          f"{seconds / len(table) * 1e6:.0f} us each")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
