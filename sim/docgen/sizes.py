"""The sizes of the shipped experiments, computed from their files (cheap, deterministic).

What docs/sweeps.md and docs/discovery.md quote about an experiment's design (points,
replicates, arms, model runs, weeks) comes from ``sim.sweep.make_plan``, the same code
that plans the sweep, so the docs say what ``trustsim sweep`` would run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.docgen.blocks import prose

DISCOVERY_EXPERIMENT = "co_creation_wins.yaml"


@dataclass(frozen=True)
class Size:
    """One experiment's design as planned."""

    file: str
    design: str
    arms: tuple[str, ...]
    parameters: tuple[str, ...]
    points: int
    replicates: int
    weeks: int

    @property
    def runs(self) -> int:
        """Model runs: a paired sweep runs both arms at every point and replicate."""
        return self.points * self.replicates * len(self.arms)

    @property
    def pairs(self) -> int:
        return self.points * self.replicates


def sweep_files(root: Path) -> list[Path]:
    """The shipped experiment files that are sweeps (calibration files have priors:)."""
    out = []
    for path in sorted((root / "experiments").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "priors" not in data:
            out.append(path)
    return out


def size_of(path: Path) -> Size:
    """Plan the experiment (no run) and describe its design."""
    from sim.sweep.plan import make_plan

    plan = make_plan(path)
    spec = plan.spec
    arms = tuple(spec.arms) if spec.arms else (plan.arm,)
    return Size(path.name, _design(spec, plan), arms, tuple(plan.targets),
                len(plan.design), spec.replicates, int(plan.base["weeks"]))


def _design(spec, plan) -> str:
    if spec.design == "grid":
        return "grid, " + " x ".join(str(len(r.grid_levels()))
                                     for r in spec.parameters.values()) + " levels"
    if spec.design == "sobol":
        order = "second order" if spec.second_order else "first order"
        return f"Sobol, N = {spec.samples}, {order}"
    if spec.design == "morris":
        return f"Morris, {spec.samples} trajectories on {spec.levels} levels"
    if spec.design == "table":
        return f"table ({spec.table})"
    return f"{'LHS' if spec.design == 'lhs' else 'random'}, {spec.samples} points"


def _n(x: int) -> str:
    return f"{x:,}"


def sizes_table(root: Path) -> str:
    """docs/sweeps.md's table of the shipped sweeps."""
    rows = ["| file | design | arm | parameters | points x replicates | model runs | weeks |",
            "|---|---|---|---|---|---|---|"]
    for size in map(size_of, sweep_files(root)):
        arm = (f"paired: {' / '.join(size.arms)}" if len(size.arms) > 1
               else size.arms[0])
        runs = _n(size.runs) + (f" ({_n(size.pairs)} pairs)" if len(size.arms) > 1 else "")
        rows.append(f"| `{size.file}` | {size.design} | {arm} | {len(size.parameters)} | "
                    f"{_n(size.points)} x {size.replicates} | {runs} | {size.weeks} |")
    return "\n".join(rows)


def discovery_design(root: Path) -> str:
    """docs/discovery.md's sentence on the design of the discovery experiment."""
    size = size_of(root / "experiments" / DISCOVERY_EXPERIMENT)
    names = ", ".join(f"`{p}`" for p in size.parameters)
    return prose(f"`experiments/{size.file}` (paired arms {' / '.join(size.arms)}, "
            f"{_n(size.points)} {size.design.split(',')[0]} points over {names}, "
            f"{size.replicates} replicates; {_n(size.pairs)} paired runs, {_n(size.runs)} "
            f"model runs of {size.weeks} weeks) has this question as its `discover:` "
            "block.")


#: The blocks computed from files alone: (name, function of the repository root).
CHEAP = {"experiment-sizes": sizes_table, "discovery-design": discovery_design}
