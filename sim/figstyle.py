"""How a figure looks on a page or on a screen: ``--style paper|slides`` and ``--size W,H``.

A style is a set of matplotlib rc settings applied while a figure is drawn and saved
(text sizes for a journal column or a projector, resolution); a size replaces the
figure's own (inches). Neither changes what is drawn, so the numbers are the same in
every style. Colours stay those of ``sim.palette`` (the dashboard's) in every style.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_BASE = {"svg.hashsalt": "trustsim"}  # the same SVG ids every time: reproducible files
#: paper: a journal page (8-9 pt text, 300 dpi); slides: a projector (14-18 pt text).
STYLES: dict[str, dict[str, object]] = {
    "paper": {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
              "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
              "figure.titlesize": 10, "savefig.dpi": 300, "lines.linewidth": 1.5},
    "slides": {"font.size": 14, "axes.titlesize": 16, "axes.labelsize": 14,
               "xtick.labelsize": 12, "ytick.labelsize": 12, "legend.fontsize": 12,
               "figure.titlesize": 18, "savefig.dpi": 150, "lines.linewidth": 2.5},
}
#: Without --size a style scales the figure's own size: slides' larger text needs room.
SCALE = {"slides": 1.5}
#: Figures smaller or larger than this (inches) are refused: no text fits, or no file.
SMALLEST, LARGEST = 1.0, 50.0


@dataclass(frozen=True)
class Look:
    """A style (None: matplotlib's defaults as the figures always had) and a size."""

    style: str | None = None
    size: tuple[float, float] | None = None

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """rc settings of the style while figures are drawn and saved."""
        from cycler import cycler
        from matplotlib import rc_context

        from sim.palette import SERIES

        settings = {**_BASE, **STYLES.get(self.style or "", {})}
        settings["axes.prop_cycle"] = cycler(color=list(SERIES))
        with rc_context(settings):
            yield

    def sized(self, fig: Figure) -> Figure:
        """``fig`` at the chosen size (its own when none was chosen), titles and legend
        entries wrapped to fit it."""
        if self.size is not None:
            fig.set_size_inches(*self.size)
        elif self.style in SCALE:
            fig.set_size_inches(fig.get_size_inches() * SCALE[self.style])
        return fit_text(fig)


def parse_size(text: str | None) -> tuple[float, float] | None:
    """``'6.5,4'`` as (6.5, 4.0) inches; ValueError with what was expected."""
    if text is None:
        return None
    parts = text.replace("x", ",").split(",")
    try:
        w, h = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"expected WIDTH,HEIGHT in inches, e.g. 6.5,4; got {text!r}") from None
    if not all(math.isfinite(v) and SMALLEST <= v <= LARGEST for v in (w, h)):
        raise ValueError(f"expected a width and height of {SMALLEST:g} to {LARGEST:g} "
                         f"inches, got {text!r}")
    return w, h


#: Average width of a character in font sizes (DejaVu Sans runs about 0.55; kept wide).
CHAR_WIDTH = 0.6
#: Share of its axes' initial box that an axes' own texts may span (the layout then
#: shrinks the box to make room for tick labels and colour bars).
AXES_SHARE = 0.75


def fit_text(fig: Figure) -> Figure:
    """Wrap titles and legend entries to the figure's width, so a small ``--size`` or a
    large style keeps them on the canvas (explicit line breaks stay)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    texts = [(t, width) for t in (fig._suptitle,) if t is not None]  # noqa: SLF001
    for ax in fig.axes:  # an axes' texts centre on it: they fit in its share of the figure
        box = ax.get_position()
        texts += [(t, AXES_SHARE * box.width * width)
                  for t in (ax.title, ax._left_title, ax._right_title,  # noqa: SLF001
                            ax.xaxis.label)]
        texts.append((ax.yaxis.label, AXES_SHARE * box.height * height))  # written upwards
        if ax.get_legend() is not None:
            texts += [(t, width) for t in ax.get_legend().get_texts()]
    for legend in fig.legends:
        texts += [(t, width) for t in legend.get_texts()]
    for text, room in texts:
        chars = max(12, int(room * 72 / (CHAR_WIDTH * text.get_fontsize())))
        lines = text.get_text().split("\n")
        text.set_text("\n".join(textwrap.fill(line, chars) for line in lines))
    return fig
