"""Fixtures for the scenario tests: scenario files in tmp_path, and a synthetic result for
the statistics and figures (so those tests do not depend on the model's calibration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.scenario import ScenarioResult

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


@pytest.fixture
def write(tmp_path: Path):
    """Write a scenario file into tmp_path: a mapping (dumped as YAML) or raw text."""

    def _write(name: str, content: dict | str) -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text)
        return path

    return _write


def minimal(**changes) -> dict:
    """A small valid scenario as a mapping."""
    data = {
        "name": "tiny", "description": "A tiny test county.", "weeks": 30, "replicates": 2,
        "seed": 7,
        "population": {"n_agencies": 4, "n_isps": 1, "n_families": 40},
        "arms": {"top_down": {"strategy_mix": 0.0}, "co_creative": {"strategy_mix": 1.0}},
    }
    data.update(changes)
    return data


def synthetic_result(weeks: int = 60, replicates: int = 12, seed: int = 3) -> ScenarioResult:
    """Time series and summaries shaped like a real run, from a simple formula: arm
    'fast' adopts about twice as fast as 'slow'; a crisis from week 10 to 29."""
    rng = np.random.default_rng(seed)
    frames, rows = [], []
    for arm, rate in (("slow", 0.03), ("fast", 0.06)):
        for rep in range(replicates):
            week = np.arange(weeks + 1)
            full = 1 - np.exp(-rate * week * rng.uniform(0.8, 1.2))
            frame = pd.DataFrame({"week": week, "crisis_intensity": ((week >= 10) & (week < 30))
                                  * 0.9, "share_at_full": full})
            for stage, share in (("exploration", 1 - full), ("full_implementation", full)):
                frame[f"share_{stage}"] = share
            for kind in ("agency_isp", "isp_agency", "agency_agency", "family_agency"):
                frame[f"trust_{kind}_mean"] = 0.5 + 0.3 * full
            frame["reach_general"], frame["reach_low_trust"] = 0.6 * full, 0.3 * full
            frame["reach_gap"] = 0.3 * full
            frame["hours_co_learning"], frame["hours_directive"] = 10.0 * rate, 5.0
            frames.append(frame.assign(arm=arm, replicate=rep, seed=100 + rep))
            t50 = np.log(2) / rate * rng.uniform(0.8, 1.2)
            rows.append({"arm": arm, "replicate": rep, "seed": 100 + rep,
                         "time_to_50_full": t50 if t50 <= weeks else np.nan,
                         "final_share_at_full": full[-1], "reach_gap": 0.3 * full[-1]})
    manifest = {"scenario_name": "synthetic", "arms": ["slow", "fast"], "weeks": weeks,
                "status": "complete", "scenario": {"seed": seed}}
    return ScenarioResult(manifest, pd.concat(frames, ignore_index=True), pd.DataFrame(rows))


@pytest.fixture(name="minimal")
def minimal_fixture():
    """``minimal(**changes)``: a small valid scenario mapping."""
    return minimal


@pytest.fixture(scope="session")
def synthetic() -> ScenarioResult:
    return synthetic_result()
