"""Pictures of a running model, for the trainers' dashboard and for slides.

One set of drawing functions serves the live dashboard (``sim.app``), its "save figures"
button and ``trustsim animate``, so a picture on the projector and a frame in a GIF
look the same. Styling is for a room: text of 16 px or more at the size the dashboard
shows a panel, and the colours of ``sim.palette`` (one visual language everywhere). Drawing is kept
light (a few dozen nodes and lines, small figures) so a frame renders in well under a
second at county scale (Mesa #2701: Solara redraws are the bottleneck).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

from sim.errors import TrustsimError
from sim.palette import (
    CRISIS_ALPHA,
    CRISIS_FILL,
    OKABE_ITO,
    PLANNED_HATCH,
    SERIES,
    STAGE_COLOURS,
    TRUST_CMAP,
    stage_colour,
)

TIE_KINDS = {  # outcome suffix -> (label, colour, line style)
    "agency_isp": ("agency→ISP", OKABE_ITO["blue"], "-"),
    "isp_agency": ("ISP→agency", OKABE_ITO["sky_blue"], "--"),
    "agency_agency": ("agency→partner", OKABE_ITO["bluish_green"], "-."),
    "family_agency": ("family→agency", OKABE_ITO["reddish_purple"], ":"),
}

GROUP_STYLES = ("-", "--", ":", "-.")
GROUP_COLOURS = SERIES[:4]

RC = {"font.size": 16, "axes.titlesize": 18, "axes.labelsize": 16, "legend.fontsize": 16,
      "xtick.labelsize": 16, "ytick.labelsize": 16, "axes.spines.top": False,
      "axes.spines.right": False, "lines.linewidth": 3, "axes.titlepad": 4,
      "legend.handlelength": 1.6, "legend.borderaxespad": 0.2, "legend.labelspacing": 0.25}
#: A panel at the size the dashboard shows it at 1280x720 (72 dpi: 1 pt is 1 px).
PANEL_SIZE = (6.3, 3.7)


@contextmanager
def projector_style() -> Iterator[None]:
    """Large, plain matplotlib styling for a projector."""
    with matplotlib.rc_context(RC):
        yield


# --- the network ---------------------------------------------------------------------


def _natural_key(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _short(name: str) -> str:
    """'Agency 12' -> 'A12', 'ISP 2' -> 'ISP 2', 'families: low_trust_community' ->
    'low trust community'."""
    if name.startswith("families: "):
        return name.removeprefix("families: ").replace("_", " ")
    match = re.fullmatch(r"Agency (\d+)", name)
    return f"A{match.group(1)}" if match else name


def network_nodes(model: Any) -> dict[str, list[tuple[str, str | None]]]:
    """Nodes by role: agencies (with their stage) grouped by sector, ISPs and family
    groups."""
    from sim.agents import Agency, ImplementationSupportPractitioner

    by_type = model.agents_by_type
    agencies = sorted(by_type.get(Agency, []), key=lambda a: (a.sector, _natural_key(a.name)))
    isps = [(i.name, None) for i in by_type.get(ImplementationSupportPractitioner, [])]
    edges = model.trust_edges()
    groups = sorted({s for s in edges["source"] if str(s).startswith("families: ")}
                    | {t for t in edges["target"] if str(t).startswith("families: ")})
    return {"agency": [(a.name, a.stage) for a in agencies],
            "isp": sorted(isps, key=lambda x: _natural_key(x[0])),
            "family": [(g, None) for g in groups]}


def network_layout(nodes: dict[str, list[tuple[str, str | None]]]) -> dict[str, tuple]:
    """Fixed rings (ISPs inside, agencies around grouped by sector, family groups
    outside): stable from frame to frame, so the room watches colours change rather
    than nodes move."""
    pos: dict[str, tuple[float, float]] = {}
    for role, radius, offset in (("isp", 0.45, 0.5), ("agency", 1.0, 0.0),
                                 ("family", 1.45, 0.25)):
        names = [n for n, _ in nodes[role]]
        for i, name in enumerate(names):
            angle = np.pi / 2 - 2 * np.pi * (i + offset) / max(len(names), 1)
            pos[name] = (radius * np.cos(angle), radius * np.sin(angle))
    return pos


def undirected_ties(edges: pd.DataFrame) -> pd.DataFrame:
    """Directed trust averaged over the two directions of each pair, one row per pair:
    a projector cannot show two arrows per tie legibly."""
    if edges.empty:
        return pd.DataFrame(columns=["a", "b", "trust", "family"])
    src, tgt = edges["source"].astype(str), edges["target"].astype(str)
    pairs = pd.DataFrame({"a": np.where(src < tgt, src, tgt), "b": np.where(src < tgt, tgt, src),
                          "trust": edges["trust"].astype(float)})
    out = pairs.groupby(["a", "b"], as_index=False)["trust"].mean()
    out["family"] = out["a"].str.startswith("families: ") | out["b"].str.startswith(
        "families: ")
    return out


#: Ties drawn: trusting ones (at or above HIGH) and distrustful ones (at or below LOW);
#: the middling majority is left out, so the network does not become a hairball.
TIE_HIGH, TIE_LOW = 0.6, 0.4


def shown_ties(ties: pd.DataFrame) -> pd.DataFrame:
    return ties[(ties["trust"] >= TIE_HIGH) | (ties["trust"] <= TIE_LOW)]


def _stage_label(stage: str) -> str:
    return stage.replace("_implementation", " impl.").replace("_", " ")


def network_static(ax: Any) -> None:
    """What does not change week to week: frame, title, legend."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", ms=11, mfc=c, mec="black",
                      label=_stage_label(s)) for s, c in STAGE_COLOURS.items()]
    handles += [Line2D([], [], marker="s", ls="", ms=11, mfc="black", label="ISP"),
                Line2D([], [], marker="D", ls="", ms=11, mfc=OKABE_ITO["reddish_purple"],
                       mec="black", label="families"),
                Line2D([], [], color=TRUST_CMAP(0.0), lw=2, ls="--",
                       label=f"trust ≤ {TIE_LOW:g}"),
                Line2D([], [], color=TRUST_CMAP(1.0), lw=5, label=f"trust ≥ {TIE_HIGH:g}")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.75, 1.55)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Trust network")


def _tie_lines(ax: Any, ties: pd.DataFrame, pos: dict, family: bool) -> list[Any]:
    from matplotlib.collections import LineCollection

    sub = shown_ties(ties[ties["family"] == family])
    if not len(sub):
        return []
    segs = [(pos[a], pos[b]) for a, b in zip(sub["a"], sub["b"], strict=True)]
    t = sub["trust"].to_numpy()
    high = t >= TIE_HIGH
    return [ax.add_collection(LineCollection(
        segs, colors=TRUST_CMAP(np.where(high, 1.0, 0.0)),
        linewidths=np.where(high, 1.0 + 5 * (t - TIE_HIGH) / (1 - TIE_HIGH), 1.5),
        linestyles=["-" if h else "--" for h in high], alpha=0.5 if family else 0.85,
        zorder=1 if family else 2))]


def network_dynamic(ax: Any, model: Any) -> list[Any]:
    """Trusting and distrustful ties, agencies coloured by stage; returns the artists."""
    nodes = network_nodes(model)
    pos = network_layout(nodes)
    ties = undirected_ties(model.trust_edges())
    ties = ties[ties["a"].isin(pos) & ties["b"].isin(pos)]
    artists = _tie_lines(ax, ties, pos, True) + _tie_lines(ax, ties, pos, False)
    ag = nodes["agency"]
    if ag:
        xy = np.array([pos[n] for n, _ in ag])
        artists.append(ax.scatter(xy[:, 0], xy[:, 1], s=1000, edgecolors="black", zorder=3,
                                  c=[stage_colour(s) for _, s in ag], linewidths=1.2))
        artists += [ax.text(*pos[name], _short(name), ha="center", va="center", fontsize=15,
                            zorder=4,
                            color="white" if stage == "sustainment" else "black")
                    for name, stage in ag]
    for role, marker, colour, size in (("isp", "s", OKABE_ITO["black"], 750),
                                       ("family", "D", OKABE_ITO["reddish_purple"], 420)):
        names = [n for n, _ in nodes[role]]
        if not names:
            continue
        xy = np.array([pos[n] for n in names])
        artists.append(ax.scatter(xy[:, 0], xy[:, 1], s=size, marker=marker, c=colour,
                                  edgecolors="black", zorder=3))
        for name in names:
            x, y = pos[name]
            if role == "isp":
                artists.append(ax.text(x, y, name.replace("ISP ", "I"), ha="center",
                                       va="center", fontsize=15, color="white", zorder=4))
            else:
                artists.append(ax.text(x, y - 0.16 if y < 0 else y + 0.16,
                                       textwrap.fill(_short(name), 10),
                                       ha="center", va="top" if y < 0 else "bottom",
                                       fontsize=16, zorder=4))
    return artists


# --- curves --------------------------------------------------------------------------


def _x_axis(ax: Any, weeks: int) -> None:
    """Fixed axes (the whole run, 0..1) so curves grow across a still frame and the
    background can be drawn once; few ticks, as text layout is most of the drawing time."""
    ax.set_xlim(0, max(weeks, 1))
    ax.set_xlabel("week")
    ax.set_ylim(0, 1.0)
    ax.set_yticks([0, 0.5, 1.0])
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5, integer=True))


def reach_groups(df: pd.DataFrame) -> list[str]:
    return [c.removeprefix("reach_") for c in df.columns
            if c.startswith("reach_") and c != "reach_gap"]


def _series(panel: str, df: pd.DataFrame) -> list[tuple[str, str, str, str, float]]:
    """(column, label, colour, style, width) of each curve a panel draws."""
    if panel == "adoption":
        return [("share_at_full", "at full impl.", OKABE_ITO["blue"], "-", 3.0),
                ("share_abandoned", "abandoned", OKABE_ITO["vermillion"], "--", 2.0)]
    if panel == "trust":
        return [(f"trust_{kind}_mean", label, colour, style, 3.0)
                for kind, (label, colour, style) in TIE_KINDS.items()]
    return [(f"reach_{g}", textwrap.fill(g.replace("_", " "), 12), GROUP_COLOURS[i % 4],
             GROUP_STYLES[i % 4], 3.0) for i, g in enumerate(reach_groups(df))]


CURVE_TITLES = {"adoption": ("Adoption", "share of agencies"),
                "trust": ("Trust by tie kind", "mean trust"),
                "reach": ("Reach by family group", "share reached")}


def curves_static(ax: Any, panel: str, df: pd.DataFrame, weeks: int) -> None:
    """Axes, titles and legend of a curve panel (legend from proxies, so it is static),
    the legend beside the axes, off the data."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    title, ylabel = CURVE_TITLES[panel]
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    _x_axis(ax, weeks)
    handles = [Line2D([], [], color=c, ls=st, lw=w, label=label)
               for col, label, c, st, w in _series(panel, df) if col in df]
    handles += [Patch(color=CRISIS_FILL, alpha=CRISIS_ALPHA, label="crisis"),
                Patch(facecolor="none", edgecolor=CRISIS_FILL, hatch=PLANNED_HATCH, lw=0,
                      label="planned")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.02), frameon=False)


def planned_crisis(events: list[dict[str, Any]], weeks: int) -> np.ndarray:
    """Crisis intensity in each week 0..weeks from the timeline (live events too)."""
    from sim.timeline import Timeline, parse_timeline

    timeline = Timeline(parse_timeline(events))
    return timeline.crisis_over(range(weeks + 1))


def crisis_shading(ax: Any, events: list[dict[str, Any]], now: int,
                   weeks: int | None = None) -> list[Any]:
    """The crisis as a grey area (intensity 0..1): shaded for the weeks run, hatched for
    the weeks planned ahead."""
    intensity = planned_crisis(events, max(weeks if weeks is not None else now, now))
    if not (intensity > 0).any():
        return []
    x = np.arange(len(intensity))
    return [ax.fill_between(x, 0, np.where(x <= now, intensity, 0), step="post",
                            color=CRISIS_FILL, alpha=CRISIS_ALPHA, lw=0, zorder=0),
            ax.fill_between(x, 0, np.where(x >= now, intensity, 0), step="post",
                            facecolor="none", edgecolor=CRISIS_FILL, hatch=PLANNED_HATCH,
                            lw=0, zorder=0)]


def curves_dynamic(ax: Any, panel: str, df: pd.DataFrame, events: list[dict[str, Any]],
                   weeks: int | None = None) -> list[Any]:
    """The curves so far; the crisis shaded (grey area = intensity 0..1), darker for the
    weeks run, hatched for the weeks planned ahead; strategy switches as dotted lines,
    planned ones too, labelled above the axes; returns the artists."""
    now = int(df["week"].iloc[-1]) if len(df) else 0
    artists = crisis_shading(ax, events, now, weeks)
    for ev in events:
        if ev.get("kind") == "strategy_switch":
            ahead = ev["week"] > now
            artists.append(ax.axvline(ev["week"], color="black", ls=":", lw=2, zorder=1,
                                      alpha=0.5 if ahead else 1.0))
            if panel == "adoption":
                to = "co-creative" if ev["strategy_mix"] >= 0.5 else "top-down"
                artists.append(ax.text(  # inside the axes: above, it printed over the title
                    ev["week"], 0.97, f" → {to}", fontsize=16, va="top", ha="left",
                    transform=ax.get_xaxis_transform(),
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}))
    for col, _label, colour, style, width in _series(panel, df):
        if col in df:
            artists += ax.plot(df["week"], df[col], color=colour, ls=style, lw=width)
    if panel == "reach" and "reach_gap" in df and len(df):
        artists.append(ax.text(1.02, 0.0, f"gap {df['reach_gap'].iloc[-1]:.2f}",
                               ha="left", va="bottom", transform=ax.transAxes))
    return artists


# --- whole frames ----------------------------------------------------------------------

PANELS = ("network", "adoption", "trust", "reach")
CURVE_MARGINS = {"left": 0.14, "right": 0.6, "bottom": 0.2, "top": 0.86}  # legend right
NETWORK_MARGINS = {"left": 0.0, "right": 0.62, "bottom": 0.0, "top": 0.9}


def model_events(model: Any) -> list[dict[str, Any]]:
    """The running model's timeline as event dicts, live events included."""
    return list(model.events)


def run_weeks(model: Any) -> int:
    """Weeks the model runs to (a live event past the end extends it)."""
    return int(model.p.weeks)


def draw_static(ax: Any, panel: str, model: Any) -> None:
    if panel == "network":
        network_static(ax)
    elif panel in CURVE_TITLES:
        curves_static(ax, panel, model.datacollector.get_model_vars_dataframe(),
                      run_weeks(model))
    else:
        raise ValueError(f"unknown panel {panel!r}; expected one of {PANELS}")


def draw_dynamic(ax: Any, panel: str, model: Any) -> list[Any]:
    if panel == "network":
        return network_dynamic(ax, model)
    return curves_dynamic(ax, panel, model.datacollector.get_model_vars_dataframe(),
                          model_events(model), run_weeks(model))


def _draw_on(ax: Any, panel: str, model: Any) -> None:
    draw_static(ax, panel, model)
    draw_dynamic(ax, panel, model)


def _panel_figure(panel: str, figsize: tuple[float, float], dpi: int) -> tuple[Figure, Any]:
    fig = Figure(figsize=figsize, dpi=dpi)  # fixed margins: constrained layout is slow
    fig.subplots_adjust(**(NETWORK_MARGINS if panel == "network" else CURVE_MARGINS))
    return fig, fig.add_subplot()


def draw_panel(panel: str, model: Any, figsize: tuple[float, float] = PANEL_SIZE,
               dpi: int = 72) -> Figure:
    """One dashboard panel as its own figure (the Save button writes these)."""
    with projector_style():
        fig, ax = _panel_figure(panel, figsize, dpi)
        _draw_on(ax, panel, model)
    return fig


#: Compare mode's panels: (column, title, y label) of the curve both worlds draw.
COMPARE_COLUMNS = {"adoption": ("share_at_full", "Adoption: both worlds", "share at full impl."),
                   "reach": ("reach", "Reach: both worlds", "share of families")}


def draw_compare(panel: str, worlds: list[Any], labels: list[str],
                 figsize: tuple[float, float] = PANEL_SIZE, dpi: int = 72) -> Figure:
    """Two worlds' adoption or reach on one axes, the gap between them filled and its
    size now in the legend: the message of compare mode in one picture."""
    column, title, ylabel = COMPARE_COLUMNS[panel]
    dfs = [w.datacollector.get_model_vars_dataframe() for w in worlds]
    with projector_style():
        fig, ax = _panel_figure(panel, figsize, dpi)
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        _x_axis(ax, max(run_weeks(w) for w in worlds))
        crisis_shading(ax, model_events(worlds[0]), int(worlds[0].week), run_weeks(worlds[0]))
        for df, label, colour, style in zip(dfs, labels, SERIES, ("-", "--"), strict=False):
            ax.plot(df["week"], df[column], color=colour, ls=style,
                    label=textwrap.fill(label, 12))
        n = min(len(df) for df in dfs)
        first, second = (df[column].to_numpy()[:n] for df in dfs[:2])
        ax.fill_between(dfs[0]["week"].to_numpy()[:n], first, second, step=None,
                        color=OKABE_ITO["bluish_green"], alpha=0.35, lw=0,
                        label=f"difference\n{second[-1] - first[-1]:+.2f} now" if n else
                        "difference")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.02), frameon=False)
    return fig


def figure_png(fig: Figure) -> bytes:
    """A figure drawn from scratch as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return _png(canvas.buffer_rgba(), canvas.get_width_height())


def _png(rgba: Any, size: tuple[int, int]) -> bytes:
    """PNG bytes, compressed lightly: encoding time matters more than size here."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).save(buf, format="PNG",
                                                                   compress_level=1)
    return buf.getvalue()


class LiveFigure:
    """Panels redrawn cheaply week after week (blitting).

    Axes, ticks, titles and legends are drawn once into a cached background; each frame
    restores it and draws only the curves, shading and network on top. Matplotlib spends
    most of a full redraw laying out text, so this is what keeps a frame well under a
    second (Mesa #2701). The background is redrawn when the run length or the set of
    nodes changes (a live event past the end, a partner joining).
    """

    def __init__(self, fig: Figure, axes: list[Any], panels: tuple[str, ...], title: str = ""):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig, self.axes, self.panels, self.title = fig, axes, panels, title
        self.canvas = FigureCanvasAgg(fig)
        self.signature: tuple | None = None
        self.background = None

    def _signature(self, model: Any) -> tuple:
        nodes = network_nodes(model) if "network" in self.panels else {}
        names = tuple(n for role in ("agency", "isp", "family") for n, _ in nodes.get(role, []))
        columns = tuple(model.datacollector.get_model_vars_dataframe().columns)
        return run_weeks(model), columns, names

    def _title(self, model: Any) -> list[Any]:
        if not self.title:
            return []
        intensity = float(model.crisis_intensity)
        status = f"week {model.week}" + (f"   CRISIS {intensity:.2f}" if intensity > 0 else "")
        return [self.fig.text(0.5, 0.995, f"{self.title}   {status}", ha="center", va="top",
                              fontsize=20)]

    def render(self, model: Any) -> Any:
        """Draw this week onto the canvas and return it."""
        with projector_style():
            signature = self._signature(model)
            if signature != self.signature:
                for ax, panel in zip(self.axes, self.panels, strict=True):
                    ax.clear()
                    draw_static(ax, panel, model)
                self.canvas.draw()
                self.background = self.canvas.copy_from_bbox(self.fig.bbox)
                self.signature = signature
            self.canvas.restore_region(self.background)
            for ax, panel in zip(self.axes, self.panels, strict=True):
                for artist in draw_dynamic(ax, panel, model):
                    ax.draw_artist(artist)
                    artist.remove()
            for artist in self._title(model):
                self.fig.draw_artist(artist)
                artist.remove()
        return self.canvas

    def png(self, model: Any) -> bytes:
        canvas = self.render(model)
        return _png(canvas.buffer_rgba(), canvas.get_width_height())

    def array(self, model: Any) -> np.ndarray:
        """RGB pixels (for imageio)."""
        return np.asarray(self.render(model).buffer_rgba())[..., :3].copy()


def live_panel(panel: str, figsize: tuple[float, float] = PANEL_SIZE,
               dpi: int = 72) -> LiveFigure:
    """One dashboard panel, redrawn by blitting."""
    with projector_style():
        fig, ax = _panel_figure(panel, figsize, dpi)
    return LiveFigure(fig, [ax], (panel,))


def live_frame(title: str, dpi: int = 72) -> LiveFigure:
    """The four panels in a 2x2 frame with a status title: one frame of an animation."""
    with projector_style():
        fig = Figure(figsize=(15, 9), dpi=dpi)
        fig.subplots_adjust(left=0.05, right=0.84, bottom=0.08, top=0.9, wspace=0.75,
                            hspace=0.4)
        axes = list(fig.subplots(2, 2).flat)
    return LiveFigure(fig, axes, PANELS, title=title or " ")


def panel_png(panel: str, model: Any, dpi: int = 72) -> bytes:
    """A panel drawn from scratch as PNG bytes (tests compare the blitted one with it)."""
    return figure_png(draw_panel(panel, model, dpi=dpi))


# --- animation -------------------------------------------------------------------------


def gif_palette() -> Any:
    """One 256-colour palette for every frame of a GIF: the colours of ``sim.palette``
    and their blends with white (antialiasing, shading), and a grey ramp."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    bases = {*OKABE_ITO.values(), *STAGE_COLOURS.values(), *SERIES, TRUST_CMAP(0.0),
             TRUST_CMAP(1.0), CRISIS_FILL}
    colours = {tuple(round(255 * c) for c in to_rgb(b)) for b in bases}
    for base in list(colours):
        for t in np.linspace(0.1, 0.9, 12):  # blended towards white
            colours.add(tuple(round(c + (255 - c) * t) for c in base))
    for g in np.linspace(0, 255, 256 - len(colours)):
        colours.add((round(g),) * 3)
    flat = [c for colour in sorted(colours)[:256] for c in colour]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + [255] * (768 - len(flat)))
    return image


class GifWriter:
    """Frames mapped onto one fixed palette (``gif_palette``), so a colour never shifts
    between frames; written when closed (as imageio's GIF writer does)."""

    def __init__(self, out: Path, fps: float):
        self.out, self.duration, self.frames = out, 1000 / fps, []
        self.palette = gif_palette()

    def append_data(self, rgb: np.ndarray) -> None:
        from PIL import Image

        self.frames.append(Image.fromarray(rgb).quantize(palette=self.palette,
                                                         dither=Image.Dither.NONE))

    def __enter__(self) -> GifWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.frames and exc[0] is None:
            self.frames[0].save(self.out, save_all=True, append_images=self.frames[1:],
                                duration=self.duration, loop=0, optimize=False)


def _writer(out: Path, fps: float) -> Any:
    import imageio.v2 as imageio

    suffix = out.suffix.lower()
    if suffix == ".gif":
        return GifWriter(out, fps)
    if suffix == ".mp4":
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise TrustsimError("writing .mp4 needs the imageio-ffmpeg package: "
                                "pip install imageio-ffmpeg, or write a .gif",
                                source=str(out)) from None
        return imageio.get_writer(out, fps=fps, codec="libx264", macro_block_size=1)
    raise TrustsimError(f"unsupported animation type {suffix or '(none)'!r}; "
                        "expected .gif or .mp4", source=str(out))


def write_animation(model: Any, out: Path, *, fps: float = 4.0, every: int = 1,
                    title: str = "") -> int:
    """Step ``model`` to its end, writing a frame every ``every`` weeks; return frames."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = _writer(out, fps)
    frame = live_frame(title)
    frames = 0
    with writer:
        writer.append_data(frame.array(model))
        frames += 1
        while model.running:
            model.step()
            if model.week % every == 0 or not model.running:
                writer.append_data(frame.array(model))
                frames += 1
    return frames


def replicate_seed(base_seed: int, replicate: int = 0) -> int:
    """The model seed of one replicate as ``trustsim run`` derives it, so a run shown here
    is the run the scenario file gives."""
    from sim.runs import run_seed

    return run_seed(base_seed, 0, replicate)


def animate_scenario(scenario: str | Path, out: str | Path, *, arm: str | None = None,
                     seed: int | None = None, weeks: int | None = None, fps: float = 8.0,
                     every: int = 1) -> tuple[Path, int]:
    """Run replicate 0 of one arm and write it as an animation; return (path, frames)."""
    from sim.model import TrustModel
    from sim.scenario.loader import load_scenario

    out = Path(out)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise TrustsimError(f"unsupported animation type {out.suffix or '(none)'!r}; "
                            "expected .gif or .mp4", source=str(out))
    spec = load_scenario(scenario, seed=seed, weeks=weeks)
    arm = arm or spec.arms[0]
    if arm not in spec.arms:
        raise TrustsimError(f"no arm '{arm}'; expected one of {', '.join(spec.arms)}",
                            source=str(scenario), field="arms")
    model = TrustModel(rng=replicate_seed(spec.seed), **spec.arm_params(arm))
    frames = write_animation(model, out, fps=fps, every=every, title=f"{spec.name}: {arm}")
    return out, frames
