"""What discover says about its own boxes: the cases behind them, the box chosen on the
peeling trajectory, their stability under resampling, and a CART tree that does not
change from run to run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import discovery_checks as checks
from sim.discovery import discover
from sim.errors import ExperimentError

pytest.importorskip("ema_workbench")


def test_a_box_on_few_cases_is_reported_with_its_count_and_a_warning(write_sweep, tmp_path):
    # y = a: 'y > 0.9' marks the points with a above 0.9, a handful of 40
    root = write_sweep(tmp_path / "sweep", where="y > 0.9")
    res = discover(root, resamples=0, out=tmp_path / "d")
    k = int(res.prim_stats["k"])
    assert k == res.n_interest < checks.MIN_CASES
    assert res.trajectory["n_cases"].iloc[res.box] == k
    assert any(f"rests on {checks.cases(k)} of interest" in w for w in res.warnings)
    manifest = json.loads((res.out / "manifest.json").read_text())
    assert manifest["n_cases_in_box"] == k and manifest["warnings"] == res.warnings
    assert manifest["min_cases"] == checks.MIN_CASES


def test_a_box_on_enough_cases_has_no_such_warning(write_sweep, tmp_path):
    root = write_sweep(tmp_path / "sweep", n_points=60, where="y > 0.5")
    res = discover(root, resamples=0, out=tmp_path / "d")
    assert res.prim_stats["k"] >= checks.MIN_CASES
    assert not any("rests on" in w for w in res.warnings)
    assert (res.cart_stats["n_points"] >= 1).all()
    assert res.cart_stats["n_cases"].sum() == res.n_interest  # leaves partition the points


def test_box_picks_a_box_on_the_peeling_trajectory(fake_sweep, tmp_path):
    first = discover(fake_sweep, resamples=0, box=0, out=tmp_path / "d0")
    # box 0 is the whole space: every point, every case, nothing restricted
    assert first.prim_box.empty and first.prim_stats["mass"] == 1.0
    assert first.prim_stats["k"] == first.n_interest
    last = discover(fake_sweep, resamples=0, out=tmp_path / "d1")
    assert last.box == len(last.trajectory) - 1 > 0
    assert list(last.prim_box["parameter"]) == ["a"]  # y = a: only a matters
    manifest = json.loads((first.out / "manifest.json").read_text())
    assert manifest["box"] == 0


def test_a_box_off_the_trajectory_is_one_line(fake_sweep, tmp_path):
    with pytest.raises(ExperimentError) as info:
        discover(fake_sweep, resamples=0, box=999, out=tmp_path / "d")
    message = str(info.value)
    assert "--box: 999 is not on the peeling trajectory" in message and "\n" not in message
    assert not (tmp_path / "d").exists()


def test_the_planted_box_is_stable_under_resampling(fake_sweep, tmp_path):
    """y = a and 'y > 0.5': every resample has a clean threshold in a, so every nearest
    box restricts a; b plays no part."""
    res = discover(fake_sweep, resamples=20, seed=1, out=tmp_path / "d")
    table = res.stability.set_index("parameter")
    assert res.resamples_used == 20
    assert table.loc["a", "in_box"] and table.loc["a", "restricted_share"] == 1.0
    assert table.loc["a", "low_median"] == pytest.approx(0.5, abs=0.1)
    assert not table.loc["b", "in_box"]
    assert not any("unstable" in w for w in res.warnings)
    assert (res.out / "prim_stability.csv").is_file()


def test_resampling_is_seeded(fake_sweep, tmp_path):
    runs = [discover(fake_sweep, resamples=10, seed=s, out=tmp_path / f"d{i}")
            for i, s in enumerate((4, 4))]
    pd.testing.assert_frame_equal(runs[0].stability, runs[1].stability)


def test_an_unstable_restriction_is_named():
    stats = pd.Series({"k": 30})
    cart = pd.DataFrame({"density": [0.9], "n_cases": [30]})
    table = pd.DataFrame({"parameter": ["a", "b"], "in_box": [True, True],
                          "restricted_share": [1.0, 0.3]})
    said = checks.warnings_for(stats, cart, table, used=50, resamples=50)
    assert said == ["b is restricted in only 30% of 50 bootstrap resamples (fewer than "
                    "50%): an unstable restriction"]


def test_cart_is_the_same_tree_every_time():
    """Two identical columns tie at every split: scikit-learn picks one at random unless
    the tree is seeded. Unseeded trees differ across seeds (so the check can fail); a
    seeded tree is the same every time."""
    from ema_workbench.analysis.cart import CART

    rng = np.random.default_rng(0)
    a = rng.random(100)
    x = pd.DataFrame({"a": a, "copy_of_a": a})
    y = a > 0.5

    def first_split(seed):
        tree = CART(x, y, mass_min=0.05)
        checks.build_tree(tree, seed)
        return tree.feature_names[tree.clf.tree_.feature[0]]

    assert {first_split(s) for s in range(20)} == {"a", "copy_of_a"}
    assert len({first_split(3) for _ in range(10)}) == 1


def test_discover_prints_the_trajectory_and_warns(write_sweep, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import _register, app

    _register()
    root = write_sweep(tmp_path / "sweep", where="y > 0.9")
    done = CliRunner().invoke(app, ["discover", str(root), "--resamples", "5", "--box", "2",
                                    "--out", str(tmp_path / "d")])
    assert done.exit_code == 0, done.output
    assert "PRIM peeling trajectory" in done.stdout and "2 *" in done.stdout
    assert "PRIM box 2:" in done.stdout and "of 5" in done.stdout
    assert "median of each point's replicates" in done.stdout
    assert "trustsim: warning: the PRIM box rests on" in done.stderr
