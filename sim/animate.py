"""Pictures of a running model, for the trainers' dashboard and for slides.

One set of drawing functions serves the live dashboard (``sim.app``), its "save figures"
button and ``trustsim animate``, so a picture on the projector and a frame in a GIF
look the same. Styling is for a room: large fonts and the Okabe-Ito palette, which
stays distinguishable under the common colour-vision deficiencies. Drawing is kept
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
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

from sim.errors import TrustsimError

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7", "black": "#000000", "grey": "#999999",
}

STAGE_COLOURS = {
    "exploration": "#FFFFFF",
    "installation": OKABE_ITO["yellow"],
    "initial_implementation": OKABE_ITO["orange"],
    "full_implementation": OKABE_ITO["sky_blue"],
    "sustainment": OKABE_ITO["blue"],
    "abandoned": OKABE_ITO["grey"],
}

TIE_KINDS = {  # outcome suffix -> (label, colour, line style)
    "agency_isp": ("agencies trust ISPs", OKABE_ITO["blue"], "-"),
    "isp_agency": ("ISPs trust agencies", OKABE_ITO["sky_blue"], "--"),
    "agency_agency": ("agencies trust partners", OKABE_ITO["bluish_green"], "-."),
    "family_agency": ("families trust agencies", OKABE_ITO["reddish_purple"], ":"),
}

GROUP_STYLES = ("-", "--", ":", "-.")
GROUP_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"],
                 OKABE_ITO["reddish_purple"])

#: Low trust vermillion, middling grey, high trust blue: a diverging pair that survives
#: red-green colour blindness.
TRUST_CMAP = LinearSegmentedColormap.from_list(
    "trust", [OKABE_ITO["vermillion"], "#BBBBBB", OKABE_ITO["blue"]])

CRISIS_FILL = "#7F7F7F"

RC = {"font.size": 15, "axes.titlesize": 17, "axes.labelsize": 15, "legend.fontsize": 12,
      "xtick.labelsize": 13, "ytick.labelsize": 13, "axes.spines.top": False,
      "axes.spines.right": False, "lines.linewidth": 3}


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
    """Nodes by role: agencies (with their stage), ISPs and family groups."""
    from sim.agents import Agency, ImplementationSupportPractitioner

    by_type = model.agents_by_type
    agencies = [(a.name, a.stage) for a in by_type.get(Agency, [])]
    isps = [(i.name, None) for i in by_type.get(ImplementationSupportPractitioner, [])]
    edges = model.trust_edges()
    groups = sorted({s for s in edges["source"] if str(s).startswith("families: ")}
                    | {t for t in edges["target"] if str(t).startswith("families: ")})
    return {"agency": sorted(agencies, key=lambda x: _natural_key(x[0])),
            "isp": sorted(isps, key=lambda x: _natural_key(x[0])),
            "family": [(g, None) for g in groups]}


def network_layout(nodes: dict[str, list[tuple[str, str | None]]]) -> dict[str, tuple]:
    """Fixed rings (ISPs inside, agencies around, family groups outside): stable from
    frame to frame, so the room watches colours change rather than nodes move."""
    pos: dict[str, tuple[float, float]] = {}
    for role, radius, offset in (("isp", 0.42, 0.25), ("agency", 1.0, 0.0),
                                 ("family", 1.5, 0.25)):
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


def network_static(ax: Any) -> None:
    """What does not change week to week: frame, title, legend."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", ms=12, mfc=c, mec="black",
                      label=s.replace("_implementation", " impl.").replace("_", " "))
               for s, c in STAGE_COLOURS.items()]
    handles += [Line2D([], [], marker="s", ls="", ms=12, mfc="black", label="ISP"),
                Line2D([], [], marker="D", ls="", ms=12, mfc=OKABE_ITO["reddish_purple"],
                       mec="black", label="family group"),
                Line2D([], [], color=TRUST_CMAP(0.1), lw=2, label="low trust"),
                Line2D([], [], color=TRUST_CMAP(0.9), lw=6, label="high trust")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
              fontsize=12)
    ax.set_xlim(-1.85, 1.85)
    ax.set_ylim(-1.3, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Trust network")


def network_dynamic(ax: Any, model: Any) -> list[Any]:
    """Ties coloured and widened by trust, agencies coloured by stage; returns the artists."""
    from matplotlib.collections import LineCollection

    nodes = network_nodes(model)
    pos = network_layout(nodes)
    ties = undirected_ties(model.trust_edges())
    ties = ties[ties["a"].isin(pos) & ties["b"].isin(pos)]
    artists: list[Any] = []
    for family, alpha, z in ((True, 0.45, 1), (False, 0.9, 2)):
        sub = ties[ties["family"] == family]
        if len(sub):
            segs = [(pos[a], pos[b]) for a, b in zip(sub["a"], sub["b"], strict=True)]
            t = sub["trust"].to_numpy()
            artists.append(ax.add_collection(LineCollection(
                segs, colors=TRUST_CMAP(t), linewidths=0.8 + 6 * t, alpha=alpha, zorder=z)))
    ag = nodes["agency"]
    if ag:
        xy = np.array([pos[n] for n, _ in ag])
        artists.append(ax.scatter(xy[:, 0], xy[:, 1], s=620, edgecolors="black", zorder=3,
                                  c=[STAGE_COLOURS.get(s, "#FFFFFF") for _, s in ag],
                                  linewidths=1.5))
        artists += [ax.text(*pos[name], _short(name), ha="center", va="center", fontsize=10,
                            zorder=4) for name, _ in ag]
    for role, marker, colour, size in (("isp", "s", OKABE_ITO["black"], 520),
                                       ("family", "D", OKABE_ITO["reddish_purple"], 700)):
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
                                       va="center", fontsize=10, color="white", zorder=4))
            else:
                artists.append(ax.text(x, y - 0.2, textwrap.fill(_short(name), 10),
                                       ha="center", va="top", fontsize=12, zorder=4))
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
    return [(f"reach_{g}", g.replace("_", " "), GROUP_COLOURS[i % 4], GROUP_STYLES[i % 4], 3.0)
            for i, g in enumerate(reach_groups(df))]


CURVE_TITLES = {"adoption": ("Adoption", "share of agencies"),
                "trust": ("Trust by tie kind", "mean trust"),
                "reach": ("Reach by family group", "share of families reached")}


def curves_static(ax: Any, panel: str, df: pd.DataFrame, weeks: int) -> None:
    """Axes, titles and legend of a curve panel (legend from proxies, so it is static)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    title, ylabel = CURVE_TITLES[panel]
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _x_axis(ax, weeks)
    handles = [Patch(color=CRISIS_FILL, alpha=0.3, label="crisis intensity")]
    handles += [Line2D([], [], color=c, ls=st, lw=w, label=label)
                for col, label, c, st, w in _series(panel, df) if col in df]
    loc, ncols = ("lower left", 2) if panel == "trust" else ("upper left", 1)
    ax.legend(handles=handles, loc=loc, frameon=False, ncols=ncols)


def curves_dynamic(ax: Any, panel: str, df: pd.DataFrame,
                   events: list[dict[str, Any]]) -> list[Any]:
    """The curves so far, the crisis shaded (grey area = intensity 0..1) and live
    strategy switches as dotted lines; returns the artists."""
    artists: list[Any] = []
    if "crisis_intensity" in df and (df["crisis_intensity"] > 0).any():
        artists.append(ax.fill_between(df["week"], 0, df["crisis_intensity"], step="post",
                                       color=CRISIS_FILL, alpha=0.3, lw=0, zorder=0))
    if panel == "adoption":
        for ev in events:
            if ev.get("kind") == "strategy_switch":
                artists.append(ax.axvline(ev["week"], color="black", ls=":", lw=2, zorder=1))
                artists.append(ax.text(ev["week"], 0.03, f" mix {ev['strategy_mix']:.1f}",
                                       fontsize=11, va="bottom",
                                       transform=ax.get_xaxis_transform()))
    for col, _label, colour, style, width in _series(panel, df):
        if col in df:
            artists += ax.plot(df["week"], df[col], color=colour, ls=style, lw=width)
    if panel == "reach" and "reach_gap" in df and len(df):
        artists.append(ax.text(0.99, 0.97, f"gap {df['reach_gap'].iloc[-1]:.2f}",
                               ha="right", va="top", transform=ax.transAxes))
    return artists


# --- whole frames ----------------------------------------------------------------------

PANELS = ("network", "adoption", "trust", "reach")
CURVE_MARGINS = {"left": 0.12, "right": 0.98, "bottom": 0.17, "top": 0.88}
NETWORK_MARGINS = {"left": 0.0, "right": 0.68, "bottom": 0.0, "top": 0.92}


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
                          model_events(model))


def _draw_on(ax: Any, panel: str, model: Any) -> None:
    draw_static(ax, panel, model)
    draw_dynamic(ax, panel, model)


def _panel_figure(panel: str, figsize: tuple[float, float], dpi: int) -> tuple[Figure, Any]:
    fig = Figure(figsize=figsize, dpi=dpi)  # fixed margins: constrained layout is slow
    fig.subplots_adjust(**(NETWORK_MARGINS if panel == "network" else CURVE_MARGINS))
    return fig, fig.add_subplot()


def draw_panel(panel: str, model: Any, figsize: tuple[float, float] = (7.5, 4.6),
               dpi: int = 72) -> Figure:
    """One dashboard panel as its own figure (the Save button writes these)."""
    with projector_style():
        fig, ax = _panel_figure(panel, figsize, dpi)
        _draw_on(ax, panel, model)
    return fig


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


def live_panel(panel: str, figsize: tuple[float, float] = (7.5, 4.6),
               dpi: int = 72) -> LiveFigure:
    """One dashboard panel, redrawn by blitting."""
    with projector_style():
        fig, ax = _panel_figure(panel, figsize, dpi)
    return LiveFigure(fig, [ax], (panel,))


def live_frame(title: str, dpi: int = 72) -> LiveFigure:
    """The four panels in a 2x2 frame with a status title: one frame of an animation."""
    with projector_style():
        fig = Figure(figsize=(15, 9), dpi=dpi)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.07, top=0.9, wspace=0.4,
                            hspace=0.35)
        axes = list(fig.subplots(2, 2).flat)
    return LiveFigure(fig, axes, PANELS, title=title or " ")


def panel_png(panel: str, model: Any, dpi: int = 72) -> bytes:
    """A panel drawn from scratch as PNG bytes (tests compare the blitted one with it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(draw_panel(panel, model, dpi=dpi))
    canvas.draw()
    return _png(canvas.buffer_rgba(), canvas.get_width_height())


# --- animation -------------------------------------------------------------------------


def _writer(out: Path, fps: float) -> Any:
    import imageio.v2 as imageio

    suffix = out.suffix.lower()
    if suffix == ".gif":
        return imageio.get_writer(out, mode="I", duration=1000 / fps, loop=0)
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
    from sim.runs import spawn_seeds

    return spawn_seeds(base_seed, replicate + 1)[replicate]


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
