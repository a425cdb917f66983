"""Where the compiled week spends its time at county scale: families, support, the rest.

Times the compiled engine's weeks alone (``sim.engines.compiled.run_weeks``, 156 weeks in
one call, no set-up, no outcomes) on a county, then on the same county without families,
without ISPs and without both; the differences are the cost of the families' phase and of
the support phase, the last figure that of every other phase. Best of 5 rounds of 10
models each. Not a test: run it as ``python benchmarks/phase_costs.py`` (``make bench``),
to compare a change to the engine against the one it replaces, phase by phase.
"""

from __future__ import annotations

import time

import numpy as np

COUNTY = dict(n_agencies=12, n_isps=4, n_families=1200, weeks=156)
WEEKS = 156


def per_run_ms(params: dict, rounds: int = 5, models: int = 10) -> float:
    """Best over ``rounds`` of the mean milliseconds of 156 compiled weeks per model."""
    from sim.engines.compiled import run_weeks
    from sim.model import TrustModel

    best = float("inf")
    for _ in range(rounds):
        built = [TrustModel(rng=seed, family_views=False, **params) for seed in range(models)]
        start = time.perf_counter()
        for model in built:
            run_weeks(model.world, np.zeros(WEEKS))
        best = min(best, (time.perf_counter() - start) / models * 1000)
    return best


def main() -> None:
    per_run_ms(COUNTY, rounds=1, models=1)  # compiled code loaded out of the timing
    county = per_run_ms(COUNTY)
    no_families = per_run_ms(COUNTY | {"n_families": 0})
    no_isps = per_run_ms(COUNTY | {"n_isps": 0})
    neither = per_run_ms(COUNTY | {"n_families": 0, "n_isps": 0})
    print("trustsim compiled week, county (12 agencies, 4 ISPs, 1,200 families), 156 weeks")
    print(f"  whole week          {county:6.2f} ms")
    print(f"  families' phase     {county - no_families:6.2f} ms  (whole - no families)")
    print(f"  support phase       {county - no_isps:6.2f} ms  (whole - no ISPs)")
    print(f"  every other phase   {neither:6.2f} ms  (no families, no ISPs)")


if __name__ == "__main__":
    main()
