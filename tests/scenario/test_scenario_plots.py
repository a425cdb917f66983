"""Figures a reader can put in a paper: files written, axes in weeks, titles naming the
scenario, confidence bands and crisis shading present."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from matplotlib.collections import PolyCollection

from sim.cli import main
from sim.figstyle import Look
from sim.scenario.plots import FIGURES, OKABE_ITO, draw_all


@pytest.fixture(scope="module")
def drawn(synthetic, tmp_path_factory):
    """The figures of the synthetic result, drawn and saved once (drawing is slow)."""
    out = tmp_path_factory.mktemp("figures")
    return out, synthetic.plot(out)


def test_every_figure_is_saved_as_png_and_svg(drawn):
    out, figures = drawn
    assert set(figures) == set(FIGURES) == {"adoption", "stages", "trust", "reach", "hours"}
    for name in FIGURES:
        assert (out / f"{name}.png").stat().st_size > 10_000
        svg = (out / f"{name}.svg").read_text()
        assert "synthetic" in svg  # the title names the scenario
        assert "<dc:date>" not in svg  # no timestamp: redrawing gives the same file


def test_axes_titles_legends(drawn):
    for name, fig in drawn[1].items():
        assert fig.get_suptitle().startswith("synthetic:"), name
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert all(ax.get_xlabel() == "weeks" for ax in visible), name
        assert all(ax.get_ylabel() for ax in visible), name
        has_legend = fig.legends or any(ax.get_legend() for ax in visible)
        assert has_legend, name


def test_adoption_has_bands_per_arm_and_crisis_shading(drawn):
    ax = drawn[1]["adoption"].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "crisis"
    assert labels[1:] == ["slow (median of 12)", "fast (median of 12)"]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 + 2 * 2  # crisis + (interval of the median, 90% of runs) x 2
    assert [line.get_color() for line in ax.get_lines()] == OKABE_ITO[:2]
    crisis = bands[0].get_paths()[0].vertices[:, 0]
    assert 9 <= crisis.min() <= 10 and 29 <= crisis.max() <= 30


def test_median_interval_band_contains_the_median(drawn):
    ax = drawn[1]["adoption"].axes[0]
    line = ax.get_lines()[0].get_ydata()
    band = [c for c in ax.collections if isinstance(c, PolyCollection)][1]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() <= line.min() and ys.max() >= line.max()


@pytest.mark.parametrize("look", [Look(), Look("paper"), Look("paper", (7, 4.5)),
                                  Look("slides"), Look("slides", (10, 5.6))],
                         ids=["default", "paper", "paper-7x4.5", "slides", "slides-10x5.6"])
def test_every_figure_stays_on_the_canvas_in_every_style(synthetic, look, figure_problems,
                                                         tmp_path):
    """`trustsim plot --style/--size`: nothing cut off, no column names as labels, and
    the size asked for. (These figures have up to four panels: a page's full width, not
    a 3.5-inch column, which the one-panel sweep figures are tested at.)"""
    columns = set(synthetic.timeseries.columns) - {"week", "arm", "replicate"}
    for name, fig in draw_all(synthetic, tmp_path, look).items():
        assert figure_problems(fig, columns) == [], name
        if look.size is not None:
            assert tuple(fig.get_size_inches()) == pytest.approx(look.size)
        assert (tmp_path / f"{name}.png").exists()


def test_plot_takes_style_and_size(monkeypatch, capsys, tmp_path):
    from sim.scenario import run_scenario

    tiny = Path(__file__).parents[1] / "sweep" / "data" / "tiny.yaml"
    run_scenario(tiny, out=tmp_path / "run", figures=False)
    monkeypatch.setattr(sys, "argv", ["trustsim", "plot", str(tmp_path / "run"), "--out",
                                      str(tmp_path), "--style", "paper", "--size", "7,4.5"])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    assert exc.value.code == 0, capsys.readouterr().err
    from PIL import Image

    with Image.open(tmp_path / "adoption.png") as png:  # 300 dpi, 7 x 4.5 inches
        assert png.size == (2100, 1350)
