"""How long one dashboard frame takes at county scale (12 agencies, 4 ISPs, 1,200
families; scenarios/covid_pivot.yaml): a model week plus the four live panels.

Goal (issue 5): each frame well under a second. Prints the median and the worst of the
timed weeks, and a full matplotlib redraw for comparison (what blitting saves).

    .venv/bin/python benchmarks/dashboard_frame.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from sim.animate import PANELS, live_panel, panel_png
from sim.app import WorkshopModel

COVID = Path(__file__).resolve().parents[1] / "scenarios" / "covid_pivot.yaml"


def main(weeks: int = 30) -> None:
    model = WorkshopModel(str(COVID), "co_creative")
    live = {panel: live_panel(panel) for panel in PANELS}
    for panel in PANELS:  # the one-off background
        live[panel].png(model)
    step, frame, full = [], [], []
    for _ in range(weeks):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        for panel in PANELS:
            live[panel].png(model)
        t2 = time.perf_counter()
        step.append(t1 - t0)
        frame.append(t2 - t1)
    for _ in range(3):
        t0 = time.perf_counter()
        for panel in PANELS:
            panel_png(panel, model)
        full.append(time.perf_counter() - t0)
    print(f"county scale, {weeks} weeks of covid_pivot (co_creative)")
    print(f"model week:             median {statistics.median(step) * 1000:7.1f} ms")
    print(f"four panels (blitted):  median {statistics.median(frame) * 1000:7.1f} ms, "
          f"worst {max(frame) * 1000:7.1f} ms")
    print(f"four panels (full redraw, for comparison): median "
          f"{statistics.median(full) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
