"""The weekly phases (sim.phases, sim.schedule) on running models: failure after
start-up, earned and lost sustainment, case flow, network structure, captions."""

import numpy as np
import pytest

from sim.agents import Agency
from sim.model import TrustModel
from sim.schedule import SCHEDULE

ADAPT = dict(n_agencies=12, n_isps=4, n_families=300, innovation_novelty=0.2,
             innovation_complexity=0.3, start_stage="installation")


def test_the_week_is_declared_once_in_order():
    names = [p.name for p in SCHEDULE]
    assert names == ["forgetting", "turnover", "support", "partnerships",
                     "emergency_partnerships", "families", "stages", "upkeep"]


def test_stage_changes_are_captioned_and_recorded_per_agency():
    model = TrustModel(rng=2, weeks=60, **ADAPT).run()
    moved = [t for _, t in model.log if "moved on to" in t or "fell back" in t]
    assert moved  # apply_stage compares against a copy of the old stages
    stages = model.datacollector.get_agenttype_vars_dataframe(Agency)
    assert len(stages) == 61 * 12
    assert set(stages["stage"]) <= {*model.stage_names, "abandoned"}
    assert stages.xs(0, level="Step")["stage"].eq("installation").all()


def _runs(seeds, **params):
    return [TrustModel(rng=s, **{**ADAPT, **params}).run() for s in seeds]


def test_failure_is_possible_after_start_up():
    models = _runs(range(6), weeks=260, strategy_mix=0.0, abandon_rate=0.05,
                   fallback_rate=0.2)
    text = " ".join(t for m in models for _, t in m.log)
    assert "abandoned the effort during full implementation" in text or \
        "abandoned the effort during initial implementation" in text
    assert "fell back from initial implementation to installation" in text  # non-delivery


def test_sustainment_is_earned_not_granted_and_can_be_lost():
    # About half of these runs end with an agency long enough at full implementation that
    # has not (yet) earned sustainment (40 seeds: vectorized 0.45, compiled 0.48), so 12
    # seeds all miss one with a chance under 1 in 1,000; with 4 seeds it was about 1 in 12.
    fast = _runs(range(12), weeks=200, strategy_mix=1.0)
    assert any(m.state.stage.max() == 4 for m in fast)  # some earn sustainment
    at_full = [(m.state.weeks_at_full >= m.p.sustainment_weeks) & (m.state.stage == 3)
               for m in fast]
    assert any(a.any() for a in at_full)  # long enough at full is not enough by itself
    lost = _runs(range(4), weeks=200, strategy_mix=1.0,
                 timeline=[{"kind": "funding_cut", "week": 120, "severity": 0.8},
                           {"kind": "support_withdrawn", "week": 120}])
    shares = [m.datacollector.get_model_vars_dataframe()["share_sustainment"] for m in lost]
    assert any(s[120] > s[200] for s in shares)


def test_reach_is_a_flow_and_can_fall():
    model = TrustModel(rng=3, weeks=120, strategy_mix=1.0, **{**ADAPT, "n_families": 600},
                       timeline=[{"kind": "support_withdrawn", "week": 60},
                                 {"kind": "funding_cut", "week": 60, "severity": 0.7}]).run()
    reach = model.datacollector.get_model_vars_dataframe()["reach"]
    assert reach.max() > reach.iloc[-1]
    assert not model.state.eligible.all()  # the practice is not indicated for every case


@pytest.mark.parametrize("kind", ["random", "small_world", "scale_free", "hub_and_spoke",
                                  "ring", "complete"])
def test_every_network_structure_builds(kind):
    model = TrustModel(rng=1, n_agencies=10, n_families=0, weeks=2,
                       partnership_network=kind)
    ties = model.state.ties["agency_agency"]
    degree = np.bincount(ties.truster, minlength=10)
    expected = {"complete": 9 * 10, "hub_and_spoke": 2 * 9, "ring": 10 * 4}
    assert len(ties) == expected.get(kind, len(ties)) and len(ties) > 0
    if kind == "hub_and_spoke":
        assert degree.max() == 9
    model.run()


def test_edge_list_network_from_a_csv(tmp_path):
    csv = tmp_path / "county.csv"
    csv.write_text("source,target\n1,2\n2,3\n3,1\n")
    model = TrustModel(rng=1, n_agencies=4, n_families=0, weeks=2,
                       partnership_network="edge_list", partnership_edges=str(csv))
    assert len(model.state.ties["agency_agency"]) == 6
    csv.write_text("source,target\n1,9\n")
    with pytest.raises(ValueError, match=r"county.csv, line 2: agency numbers must be in"):
        TrustModel(rng=1, n_agencies=4, partnership_network="edge_list",
                   partnership_edges=str(csv))
    with pytest.raises(ValueError, match="partnership_edges"):
        TrustModel(rng=1, partnership_network="edge_list")


def test_tie_building_is_linear_in_ties():
    # 20,000 agencies at density 1e-4: about 20,000 ties, built by a linear generator
    model = TrustModel(rng=1, n_agencies=20_000, n_isps=10, n_families=0, weeks=1,
                       partnership_density=1e-4)
    assert 10_000 < len(model.state.ties["agency_agency"]) < 60_000
