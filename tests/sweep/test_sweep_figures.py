"""Figures of `trustsim analyze` fit for a paper or a talk: labels from the codebook
(meaning and unit) rather than column names, every text on the canvas in every style and
size, the dashboard's colours."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from matplotlib.colors import to_hex

import sim.sweep as sweep
from sim.cli import main
from sim.figstyle import Look
from sim.palette import SERIES

DATA = Path(__file__).parent / "data"
PARAMETERS = {"strategy_mix": {"low": 0, "high": 1},
              "timeline.0.intensity": {"low": 0.2, "high": 1.0},
              "turnover_per_year": {"low": 0.1, "high": 0.5}}
OUTCOMES = ["trust_agency_isp_final", "time_to_50_startup"]
#: A journal column (3.5 inches) and a 16:9 slide, and each style at its own size.
LOOKS = [Look(), Look("paper", (3.5, 2.6)), Look("slides", (10, 5.6)), Look("slides")]


def _sweep(folder: Path, **changes) -> Path:
    shutil.copy(DATA / "tiny.yaml", folder / "tiny.yaml")
    exp = {"name": "figs", "scenario": "tiny.yaml", "replicates": 1, "seed": 5,
           "record": {"every": 5}, "outcomes": OUTCOMES, **changes}
    (folder / "exp.yaml").write_text(yaml.safe_dump(exp))
    sweep.run(folder / "exp.yaml", workers=1, out=folder / "out", progress=False)
    return folder / "out"


@pytest.fixture(scope="module")
def morris(tmp_path_factory) -> Path:
    return _sweep(tmp_path_factory.mktemp("morris"), design="morris", samples=3,
                  levels=4, parameters=PARAMETERS)


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    two = {"strategy_mix": {"levels": [0.0, 0.5, 1.0]},
           "timeline.0.intensity": {"levels": [0.3, 0.9]}}
    return _sweep(tmp_path_factory.mktemp("grid"), design="grid", parameters=two)


def _identifiers(folder: Path) -> set[str]:
    res = sweep.load(folder)
    return set(res.parameters) | set(res.outcomes)


@pytest.mark.parametrize("look", LOOKS, ids=["default", "paper-3.5x2.6", "slides-10x5.6",
                                             "slides"])
@pytest.mark.parametrize("which", ["morris", "grid"])
def test_every_figure_reads_as_words_and_stays_on_the_canvas(which, look, request,
                                                             figure_problems, tmp_path):
    folder = request.getfixturevalue(which)
    result = sweep.analyze(folder, OUTCOMES, points=[0, 1], out=tmp_path, look=look,
                           keep_figures=True)
    expected = {"morris": {"morris_trust_agency_isp_final",
                           "morris_mu_sigma_trust_agency_isp_final"},
                "grid": {"heatmap_trust_agency_isp_final", "heatmap_time_to_50_startup"}}
    assert expected[which] | {"adoption_curves"} <= set(result.drawn)
    names = _identifiers(folder)
    for name, fig in result.drawn.items():
        assert figure_problems(fig, names) == [], name
        if look.size is not None:
            assert tuple(fig.get_size_inches()) == pytest.approx(look.size), name


def test_units_on_the_colour_bar_and_the_morris_axes(morris, grid, tmp_path):
    drawn = sweep.analyze(grid, OUTCOMES, out=tmp_path / "g", keep_figures=True).drawn
    bar = drawn["heatmap_time_to_50_startup"].axes[-1]
    assert bar.get_ylabel() == "median [weeks]"
    drawn = sweep.analyze(morris, out=tmp_path / "m", keep_figures=True).drawn
    ax = drawn["morris_mu_sigma_trust_agency_isp_final"].axes[0]
    assert " ".join(ax.get_xlabel().split()).endswith("[trust (0-1)]")
    bars = drawn["morris_trust_agency_isp_final"].axes[0]
    assert to_hex(bars.patches[0].get_facecolor()) == SERIES[0].lower()  # the palette's
    ticks = [t.get_text().replace("\n", " ") for t in bars.get_yticklabels()]
    assert "Co-creative share of the ISPs' hours" in ticks


@pytest.mark.parametrize("args, said", [
    (["--size", "6"], "expected WIDTH,HEIGHT in inches"),
    (["--size", "0.1,3"], "expected a width and height of 1 to 50 inches"),
    (["--size", "inf,3"], "expected a width and height of 1 to 50 inches"),
    (["--style", "poster"], "'poster' is not one of"),
], ids=["one-number", "too-small", "infinite", "unknown-style"])
def test_bad_style_or_size_is_one_line_and_exit_2(args, said, grid, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["trustsim", "analyze", str(grid), *args])
    before = {p for p in grid.rglob("*")}
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and said in err, err
    assert "Traceback" not in err
    assert {p for p in grid.rglob("*")} == before  # refused before anything is written
