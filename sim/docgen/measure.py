"""The measured blocks: shipped sweeps timed, the discovery sweep discovered and analysed,
the fast single-run path timed (minutes; ``make docs``).

Every command runs as a user runs it (the ``trustsim`` script, a fresh process, into a
temporary folder that is removed afterwards), so the timings include start-up and the
numbers are what ``trustsim discover`` and ``trustsim analyze`` print and write.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from sim.docgen.blocks import prose
from sim.docgen.sizes import DISCOVERY_EXPERIMENT, size_of, sweep_files

WORKERS = 2
CALIBRATION = "calibrate_stage_attrition.yaml"
#: The outcome whose PAWN indices docs/sweeps.md quotes as its worked example.
PAWN_EXAMPLE = "trust_agency_isp_final"


def trustsim() -> list[str]:
    """The command a user types, from this interpreter's environment."""
    script = Path(sys.executable).parent / "trustsim"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from sim.cli import main; main()"]


def machine() -> str:
    """Where and when a figure was measured, in the words docs use."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(
        os, "getloadavg") else ""
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu})"
            f"{load}, {date.today().isoformat()}")


@dataclass
class Command:
    seconds: float
    stderr: str


def run(args: list[str], cwd: Path) -> Command:
    """Run a trustsim command; a failure stops ``make docs`` with its error."""
    start = time.perf_counter()
    done = subprocess.run(trustsim() + args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"trustsim {' '.join(args)} exited {done.returncode}:\n"
                           f"{done.stderr[-2000:]}")
    return Command(seconds, done.stderr)


def measure(root: Path, workers: int = WORKERS, only: set[str] | None = None
            ) -> dict[str, str]:
    """Every measured block's text (those in ``only``, when given)."""
    want = (lambda name: only is None or name in only)  # noqa: E731
    blocks: dict[str, str] = {}
    where = machine()
    with tempfile.TemporaryDirectory(prefix="trustsim-docs-") as tmp:
        tmp = Path(tmp)
        if want("experiment-timings") or want("discovery-results") or want("pawn-example"):
            timings = []
            for path in sweep_files(root):
                discovery = path.name == DISCOVERY_EXPERIMENT
                if not (want("experiment-timings") or discovery):
                    continue
                out = tmp / path.stem
                done = run(["sweep", str(path), "--workers", str(workers), "--out", str(out)],
                           root)
                timings.append((path.name, size_of(path).runs, done.seconds))
                if discovery:
                    found = run(["discover", str(out)], root)
                    analysed = run(["analyze", str(out)], root)
                    blocks["discovery-results"] = discovery_results(out, found.stderr)
                    blocks["pawn-example"] = pawn_example(out, analysed.stderr)
            if want("experiment-timings"):
                blocks["experiment-timings"] = timings_table(timings, workers, where)
        if want("calibration-shipped"):
            out = tmp / "calibration"
            path = root / "experiments" / CALIBRATION
            done = run(["calibrate", str(path), "--workers", str(workers), "--out", str(out)],
                       root)
            blocks["calibration-shipped"] = calibration_shipped(out, done, workers, where)
        if want("run-once-speed"):
            blocks["run-once-speed"] = run_once_speed(root, where)
    return {k: v for k, v in blocks.items() if want(k)}


def timings_table(timings: list[tuple[str, int, float]], workers: int, where: str) -> str:
    rows = [f"| file | model runs | wall time of `trustsim sweep FILE --workers {workers}` |",
            "|---|---|---|"]
    for name, runs, seconds in timings:
        rows.append(f"| `{name}` | {runs:,} | {_duration(seconds)} |")
    return "\n".join(rows) + "\n\n" + prose(f"Measured by `make docs` on {where}.")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def discovery_results(sweep: Path, stderr: str) -> str:
    """docs/discovery.md's account of what discover finds on the shipped sweep."""
    import sim.sweep as sweep_api

    folder = sorted((sweep / "discovery").iterdir())[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    box = pd.read_csv(folder / "prim_box.csv")
    stats = pd.read_csv(folder / "prim_stats.csv", index_col=0)["value"]
    res = sweep_api.load(sweep)
    outcome = manifest["outcome"]
    horizon = int(res.horizon.max())
    arms = [c.split("__")[1] for c in res.summaries.columns if c.startswith(outcome + "__")]
    med = res.medians("point", [outcome] + [f"{outcome}__{a}" for a in arms])
    per_point = med.pivot(index="point", columns="outcome", values="estimate")
    diff = per_point[outcome]
    slower = int((diff > 0).sum())
    faster = int((diff < 0).sum())
    n, k = manifest["n_points"], manifest["n_interest"]

    def weeks(x: float) -> str:
        return (f"not within the {horizon}-week horizon" if x >= horizon
                else f"in {x:.0f} weeks")

    arm_text = "; ".join(
        f"{a.replace('_', '-')} support {weeks(per_point[f'{outcome}__{a}'].median())}"
        for a in arms)
    limits = "; ".join(f"`{r.parameter}` to {r.low:.2f}-{r.high:.2f}"
                       for r in box.itertuples())
    text = (f"What the model gives: {k} of the {n} points meet it. Co-creative support is "
            f"the slower one at {slower} of the {n} points and the faster at {faster} (the "
            f"median over points of the difference is {diff.median():+.0f} weeks; over "
            f"points, the median of each arm's weeks to half the agencies at start-up: "
            f"{arm_text}). The PRIM box (box {manifest['box']} of the peeling trajectory) "
            f"holds {manifest['n_cases_in_box']} of the {k} cases of interest among "
            f"{int(stats['n'])} points (coverage {stats['coverage']:.2f}, density "
            f"{stats['density']:.2f}) and restricts {limits or 'nothing'}.")
    if manifest["n_cases_in_box"] < manifest["min_cases"]:
        text += (f" It rests on fewer than {manifest['min_cases']} cases, and discover "
                 "warns that it describes those points, not a region: this sweep does not "
                 "show where co-creation wins.")
    warned = len(re.findall(r"^trustsim: warning:", stderr, re.M))
    return prose(text + f" (`trustsim discover` printed {warned} warning line(s).)")


def pawn_example(sweep: Path, stderr: str) -> str:
    """docs/sweeps.md's worked PAWN example and the count of diagnostics lines."""
    table = pd.read_csv(sweep / "analysis" / "pawn_indices.csv")
    rows = table[table["outcome"] == PAWN_EXAMPLE].sort_values("pawn", ascending=False)
    top, rest = rows.iloc[0], rows.iloc[1:]
    lines = re.findall(r"^trustsim: warning: .*$", stderr, re.M)
    censored = [(int(m.group(2)), m.group(1)) for line in lines if (m := re.search(
        r"indices of (\S+): (\d+)% of runs never reached", line))]
    text = (f"In `{DISCOVERY_EXPERIMENT}`, `{PAWN_EXAMPLE}` has PAWN {top.pawn:.2f} +- "
            f"{top.pawn_conf:.2f} for `{top.parameter}` against a dummy of "
            f"{top.pawn_dummy:.2f} +- {top.pawn_dummy_conf:.2f}; the other "
            f"{len(rest)} parameters lie at {rest.pawn.min():.2f}-{rest.pawn.max():.2f}. "
            f"`trustsim analyze` on this sweep prints {len(lines)} diagnostic line(s)")
    if censored:
        share, name = max(censored)
        text += f", among them `{name}`: {share}% of runs never reached it"
    return prose(text + ".")


def calibration_shipped(out: Path, done: Command, workers: int, where: str) -> str:
    """docs/calibration.md's account of the shipped calibration, as run."""
    manifest = json.loads((out / "calibration.json").read_text())
    pred = pd.read_csv(out / "predictive.csv")
    summary = pd.read_csv(out / "posterior_summary.csv")
    inside = int(pred["observed_in_band"].sum())
    posterior = "; ".join(f"`{r.parameter}` {r.median:.3g} ({r.low_95:.3g}-{r.high_95:.3g})"
                          for r in summary.itertuples())
    text = (f"`trustsim calibrate experiments/{CALIBRATION} --workers {workers}` "
            f"{manifest['stopped']}. It ran "
            f"{manifest['simulations']:,} simulations (and {manifest['noise']['replicates']} "
            f"runs measuring the noise) in {_duration(done.seconds)}. Posterior medians and "
            f"95% credible intervals: {posterior}. {inside} of the {len(pred)} observed "
            f"targets lie inside the 95% band of {int(pred['draws'].iloc[0])} posterior "
            f"predictive draws")
    missed = pred.loc[~pred["observed_in_band"], "statistic"].tolist()
    text += (f" (outside: {', '.join(f'`{m}`' for m in missed)})." if missed else ".")
    if manifest.get("warnings"):
        text += " Warnings: " + "; ".join(manifest["warnings"]) + "."
    return prose(text + f" Measured by `make docs` on {where}.")


def run_once_speed(root: Path, where: str, repeats: int = 15) -> str:
    """README's figure: ``sim.runs.run_once`` against ``TrustModel(...).run()``."""
    from sim import TrustModel, load_scenario
    from sim.runs import run_once

    params = load_scenario(root / "scenarios" / "base.yaml").arm_params("top_down")
    run_once(params, 0, every=0)  # compiled code loaded, caches warm
    TrustModel(rng=0, **params).run()

    def median_ms(fn) -> float:
        times = []
        for seed in range(1, repeats + 1):
            start = time.perf_counter()
            fn(seed)
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times)

    fast = median_ms(lambda s: run_once(params, s, every=0))
    full = median_ms(lambda s: TrustModel(rng=s, **params).run())
    return prose(f"`run_once` took {fast:.0f} ms and `TrustModel(...).run()` {full:.0f} ms for a "
            f"{params['weeks']}-week run of the base county (medians of {repeats} runs "
            f"each), measured by `make docs` on {where}.")


#: The blocks that need runs; ``measure`` computes them.
MEASURED = ("experiment-timings", "discovery-results", "pawn-example", "calibration-shipped",
            "run-once-speed")
