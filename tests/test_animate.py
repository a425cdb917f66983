"""Drawing (sim/animate.py): the blitted live panels must show exactly what a full
redraw shows, also after the run is extended or a partner joins."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sim import animate
from sim.model import TrustModel
from sim.scenario.loader import load_scenario

COVID = Path(__file__).resolve().parents[1] / "scenarios" / "covid_pivot.yaml"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


@pytest.fixture()
def model():
    params = load_scenario(COVID).arm_params("co_creative") | {"weeks": 20}
    return TrustModel(rng=animate.replicate_seed(1), **params)


def assert_same_picture(live: dict, model) -> None:
    for panel in animate.PANELS:
        blitted, fresh = pixels(live[panel].png(model)), pixels(animate.panel_png(panel, model))
        assert blitted.shape == fresh.shape
        # antialiased edges of redrawn curves may differ by a shade; nothing else may
        assert np.abs(blitted - fresh).mean() < 0.1, panel


def test_blitted_panels_match_a_full_redraw(model):
    live = {panel: animate.live_panel(panel) for panel in animate.PANELS}
    for _ in range(12):
        model.step()
        live_pngs = [live[p].png(model) for p in animate.PANELS]
    assert all(len(png) > 5000 for png in live_pngs)
    assert_same_picture(live, model)

    # a live event past the end extends the run (new x axis), a partner adds a node
    model.add_event({"kind": "crisis", "onset": 30, "duration": 10, "intensity": 0.5})
    model.add_event({"kind": "partner_joins", "week": 13, "count": 1})
    model.step()
    assert animate.run_weeks(model) == 30
    assert "Agency 13" in {n for n, _ in animate.network_nodes(model)["agency"]}
    assert_same_picture(live, model)


def test_network_shows_every_agent_kind_and_averages_directed_trust(model):
    nodes = animate.network_nodes(model)
    assert len(nodes["agency"]) == 12 and len(nodes["isp"]) == 4
    assert [n for n, _ in nodes["family"]] == ["families: general",
                                                "families: low_trust_community"]
    edges = model.trust_edges()
    ties = animate.undirected_ties(edges)
    one = edges[(edges["kind"] == "agency_isp")].iloc[0]
    back = edges[(edges["source"] == one["target"]) & (edges["target"] == one["source"])]
    pair = ties[(ties["a"] == min(one["source"], one["target"]))
                & (ties["b"] == max(one["source"], one["target"]))]
    assert pair["trust"].item() == pytest.approx((one["trust"] + back["trust"].item()) / 2)


def test_frame_has_a_status_title(model):
    frame = animate.live_frame("covid_pivot: co_creative")
    for _ in range(10):
        model.step()
    rgb = frame.array(model)
    assert rgb.shape == (648, 1080, 3)
    assert (rgb[:30] < 128).any()  # the title line is drawn at the top


def test_a_gif_has_one_palette_for_all_its_frames(tmp_path, model):
    """Legend colours must not shift between frames: every frame uses one global
    palette, and the legend's pixels stay the same while the run goes on."""
    out = tmp_path / "run.gif"
    model.add_event({"kind": "strategy_switch", "week": 5, "strategy_mix": 0.0})
    assert animate.write_animation(model, out, fps=4, every=2) == 11
    with Image.open(out) as gif:
        palettes, legends = set(), []
        for i in range(gif.n_frames):
            gif.seek(i)
            if gif.mode == "P":  # Pillow hands later frames of a global palette as RGB
                palettes.add(bytes(gif.getpalette()))
            legends.append(np.asarray(gif.convert("RGB"))[65:145, 915:1075])
    assert len(palettes) == 1
    assert all((legend == legends[0]).all() for legend in legends)


def test_one_stage_palette_for_dashboard_and_figures():
    from sim import palette
    from sim.scenario import plots

    assert plots.STAGE_COLOURS == [palette.STAGE_COLOURS[s] for s in plots.STAGES]
    assert animate.STAGE_COLOURS is palette.STAGE_COLOURS
    assert len(set(palette.INTERACTION_COLOURS)) == 10
    assert plots.INTERACTION_COLOURS == palette.INTERACTION_COLOURS


def test_planned_events_are_drawn_ahead(model):
    """A crisis and a switch called for later weeks show on the time axes before they
    happen: the weeks planned are hatched, the weeks run shaded."""
    model.add_event({"kind": "crisis", "onset": 15, "duration": 4, "intensity": 0.6,
                     "ramp": 0})
    model.add_event({"kind": "strategy_switch", "week": 18, "strategy_mix": 0.0})
    for _ in range(5):
        model.step()
    intensity = animate.planned_crisis(model.events, 20)
    assert intensity[15:19].tolist() == [0.9, 0.9, 0.9, 0.9]  # covid's own crisis is higher
    fig = animate.draw_panel("adoption", model)
    ax = fig.axes[0]
    shades = [c for c in ax.collections if c.get_hatch() == animate.PLANNED_HATCH]
    assert shades and shades[0].get_paths()[0].get_extents().x1 >= 19
    assert any(line.get_xdata()[0] == 18 for line in ax.lines)  # the switch, ahead


@pytest.mark.parametrize("panel", ["adoption", "reach"])
def test_compare_panels_draw_both_worlds_and_their_difference(panel):
    """Compare mode showed only network and trust, not the message (issue 25)."""
    from sim import app

    scenario = app.load_scenario(COVID)
    values = {**app.start_values(scenario, "top_down"), "weeks": "20"}
    worlds = app.build_worlds(str(COVID), scenario, "top_down", "arms", values)
    for _ in range(12):
        app.step_worlds(worlds)
    fig = animate.draw_compare(panel, worlds, [w.label for w in worlds])
    ax = fig.axes[0]
    column = animate.COMPARE_COLUMNS[panel][0]
    drawn = [line.get_ydata().tolist() for line in ax.get_lines() if len(line.get_xdata())]
    for world in worlds:
        assert world.datacollector.get_model_vars_dataframe()[column].tolist() in drawn
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("difference") for t in texts), texts
