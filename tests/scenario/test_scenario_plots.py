"""Figures a reader can put in a paper: files written, axes in weeks, titles naming the
scenario, confidence bands and crisis shading present."""

from __future__ import annotations

import pytest
from matplotlib.collections import PolyCollection

from sim.scenario.plots import FIGURES, OKABE_ITO


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
