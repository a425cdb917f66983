"""TrustModel as a Mesa model: construction, parameters, agents, mechanisms, events."""

from collections import deque

import mesa
import numpy as np
import pytest

from sim.agents import Agency, Family, ImplementationSupportPractitioner
from sim.model import TrustModel
from sim.outcomes import SUMMARY_OUTCOMES, WEEKLY_OUTCOMES
from sim.state import NEVER
from sim.world import CaptionLog

SMALL = dict(n_agencies=6, n_isps=2, n_families=120, weeks=40)


def test_defaults_run_and_collect_every_week():
    model = TrustModel(rng=1, weeks=30).run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame["week"]) == list(range(31))
    assert set(WEEKLY_OUTCOMES) <= set(frame.columns)
    assert set(model.summary()) == set(SUMMARY_OUTCOMES)
    assert not model.running


def test_agents_are_mesa_agents_and_answer_about_trust():
    model = TrustModel(rng=2, **SMALL)
    assert len(model.agents_by_type[Agency]) == 6
    assert len(model.agents_by_type[ImplementationSupportPractitioner]) == 2
    assert len(model.agents_by_type[Family]) == 120
    agency = model.agency_agents[0]
    isp = agency.isp
    assert 0 < agency.trust_in(isp) < 1
    assert 0 < isp.trust_in(agency) < 1
    family = model.agents_by_type[Family].to_list()[0]
    assert 0 < family.trust_in(family.agency) < 1
    assert agency.stage == "exploration"
    assert np.isnan(agency.trust_in(agency))  # no tie to itself


def test_same_seed_same_numbers_and_different_seed_differs():
    a = TrustModel(rng=7, **SMALL).run().datacollector.get_model_vars_dataframe()
    b = TrustModel(rng=7, **SMALL).run().datacollector.get_model_vars_dataframe()
    c = TrustModel(rng=8, **SMALL).run().datacollector.get_model_vars_dataframe()
    assert a.equals(b)
    assert not a.equals(c)


def test_mesa_batch_run_works_unchanged():
    rows = mesa.batch_run(TrustModel, {"strategy_mix": [0.0, 1.0], "weeks": 10,
                                       "n_families": 50}, rng=[1], number_processes=1,
                          data_collection_period=-1, display_progress=False)
    # Mesa gives one row per agency (the agent-type reporter records each agency's stage),
    # each carrying the run's model-level outcomes: 2 runs x 12 agencies.
    assert len(rows) == 2 * 12
    assert {"strategy_mix", "share_at_full", "AgentID", "stage"} <= set(rows[0])
    assert {r["strategy_mix"] for r in rows} == {0.0, 1.0}


def test_sustainability_is_nan_until_an_agency_reaches_full_implementation():
    """Sustainability is a share of the agencies that reached full implementation: with
    none there it is undefined (NaN), not 0; the summary's is named final_sustainability,
    distinct from the weekly column."""
    model = TrustModel(rng=1, weeks=3).run()
    assert model.state.ever_full.sum() == 0
    assert np.isnan(model.datacollector.get_model_vars_dataframe()["sustainability"]).all()
    summary = model.summary()
    assert np.isnan(summary["final_sustainability"]) and "sustainability" not in summary


def test_interaction_catalogue_is_data_a_scenario_can_extend():
    extra = {"peer_visit": {"label": "Peer site visit", "strategy": "co_creative",
                            "hours": 2, "tests": {"benevolence": 1.0},
                            "effects": {"readiness": 0.05}}}
    model = TrustModel(rng=1, interactions=extra, strategies={"co_creative": {"peer_visit": 1}},
                       strategy_mix=1.0, **SMALL).run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["hours_peer_visit"].sum() > 0
    assert frame["hours_co_learning"].sum() > 0  # the rest of the shipped mix remains


def _final(params, seeds=range(6)):
    keys = ("trust_agency_isp_final", "final_share_at_full", "final_reach",
            "trust_agency_agency_final")
    runs = [TrustModel(rng=s, **params).run().summary() for s in seeds]
    return {k: np.mean([r[k] for r in runs]) for k in keys}


def test_co_creative_support_builds_more_trust_than_top_down():
    # Paired by seed. Over 60 seeds the difference is about 0.20-0.21 in each engine
    # (standard error 0.003-0.004); the bound asks for at least half of it after 4
    # standard errors of these 6 seeds (about 0.011 each), so a different random stream
    # cannot fail it, and a strategy that stopped building trust would.
    seeds = range(6)
    co = _finals({**SMALL, "weeks": 60, "strategy_mix": 1.0}, seeds)
    top = _finals({**SMALL, "weeks": 60, "strategy_mix": 0.0}, seeds)
    gap = co - top
    assert gap.mean() - 4 * gap.std(ddof=1) / np.sqrt(len(gap)) > 0.1


def _finals(params, seeds) -> np.ndarray:
    return np.array([TrustModel(rng=s, **params).run().summary()["trust_agency_isp_final"]
                     for s in seeds])


def test_turnover_wipes_person_bound_trust():
    model = TrustModel(rng=3, **SMALL, established_evidence=50,
                       timeline=[{"kind": "turnover_wave", "week": 5, "share": 0.8}])
    for _ in range(4):
        model.step()
    before = model.state.ties["agency_isp"].r.sum()
    model.step()
    assert model.state.ties["agency_isp"].r.sum() < 0.6 * before


def test_brokering_creates_partnerships_with_borrowed_trust():
    model = TrustModel(rng=4, **SMALL, partnership_density=0.0, strategy_mix=1.0)
    assert len(model.state.ties["agency_agency"]) == 0
    model.run()
    assert len(model.state.ties["agency_agency"]) > 0
    assert any("introduced" in text for _, text in model.log)


def _hours(surge: float, crisis: bool, **params):
    timeline = [{"kind": "crisis", "onset": 1, "duration": 30, "intensity": 1.0}] if crisis \
        else []
    frame = TrustModel(rng=5, **{**SMALL, **params}, isp_surge=surge,
                       timeline=timeline).run().datacollector.get_model_vars_dataframe()
    return frame.loc[2:30]


def test_crisis_reallocates_isp_hours_and_adds_only_the_documented_surge():
    calm, crisis = _hours(0.0, False), _hours(0.0, True)
    # No free labour: the same budget (Poisson noise on ~40 interactions a week keeps the
    # weekly totals within a few percent; 10% allows for agencies leaving a caseload).
    assert crisis["cost_hours"].mean() == pytest.approx(calm["cost_hours"].mean(), rel=0.1)
    # the relationships explanation moves hours to short, frequent contacts
    assert crisis["hours_check_in"].mean() > 1.5 * calm["hours_check_in"].mean()
    surged = _hours(0.5, True)
    assert surged["cost_hours"].mean() == pytest.approx(1.5 * calm["cost_hours"].mean(),
                                                        rel=0.1)
    assert surged["crisis_intensity"].max() == 1.0


@pytest.mark.parametrize("event, check", [
    ({"kind": "support_withdrawn", "week": 3, "share": 1.0},
     lambda m: not m.state.isp_active.any()),
    ({"kind": "funding_cut", "week": 3, "severity": 0.5},
     lambda m: m.state.capacity.max() < 0.6),
    ({"kind": "partner_joins", "week": 3, "count": 2, "sector": "health"},
     lambda m: len(m.agency_agents) == 8 and m.agency_agents[-1].sector == "health"),
    ({"kind": "leadership_change", "week": 3, "share": 1.0},
     lambda m: any("Leadership change" in t for _, t in m.log)),
    ({"kind": "strategy_switch", "week": 3, "strategy_mix": 1.0},
     lambda m: (m.state.isp_mix == 1.0).all()),
])
def test_every_event_kind_acts(event, check):
    model = TrustModel(rng=6, **SMALL, timeline=[event])
    for _ in range(4):
        model.step()
    assert check(model)
    model.run()  # and the model keeps running after it


def test_events_added_while_running_are_recorded_for_replay():
    model = TrustModel(rng=9, **SMALL)
    for _ in range(5):
        model.step()
    added = model.add_event({"kind": "crisis", "onset": 5, "duration": 10, "intensity": 0.9})
    assert added["onset"] == 6  # week 5 is already simulated
    model.step()
    assert model.crisis_intensity > 0
    replay = TrustModel(rng=9, **SMALL, timeline=model.events).run()
    live = model.run()
    assert live.datacollector.get_model_vars_dataframe().equals(
        replay.datacollector.get_model_vars_dataframe())


def test_trust_edges_for_drawing():
    edges = TrustModel(rng=1, **SMALL).trust_edges()
    assert set(edges["kind"]) == {"agency_isp", "isp_agency", "agency_agency", "family_agency"}
    assert edges["trust"].between(0, 1).all()
    assert edges["source"].str.startswith("families: ").any()


# An adaptation of existing work, so that most agencies deliver within the first months
# and the mechanisms after start-up have something to act on.
ADAPTATION = dict(innovation_novelty=0.2, innovation_complexity=0.3, start_stage="installation")


def _after_withdrawal(seeds, **params):
    """Share at full implementation when support is withdrawn (week 100) and at the end."""
    rows = []
    for s in seeds:
        model = TrustModel(rng=s, n_agencies=12, n_families=300, weeks=200, **ADAPTATION,
                           **params, record_every=100,
                           timeline=[{"kind": "support_withdrawn", "week": 100}]).run()
        frame = model.datacollector.get_model_vars_dataframe().set_index("week")
        rows.append((frame["share_at_full"][100], frame["share_at_full"][200],
                     model.state.depth.mean(), frame["reach_low_trust_community"][100]))
    return np.array(rows)


def _separated(a, b):
    """Mean of a exceeds mean of b by more than 4 standard errors of the difference (the
    replicates' own spread sets the tolerance)."""
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return a.mean() - b.mean() > 4 * se


def _paired_exceeds(a, b, k=3.0):
    """With common random numbers (same seed in both arms) runs are paired: the mean
    paired difference exceeds k standard errors of its own replicate spread (k = 3: a
    one-sided false alarm about once in 700)."""
    d = np.asarray(a) - np.asarray(b)
    return d.mean() > k * d.std(ddof=1) / np.sqrt(len(d))


def test_mandated_adoption_is_shallow_and_falls_back_when_support_ends():
    # 64 seeds: the paired difference in loss is about 0.14 against a spread of 0.2 (64
    # seeds of either engine), so its mean sits about 5 standard errors out; 16 seeds
    # left it at 2.4-3.2, too close to the k = 3 of _paired_exceeds.
    top = _after_withdrawal(range(64), strategy_mix=0.0)
    co = _after_withdrawal(range(64), strategy_mix=1.0)
    top_loss, co_loss = top[:, 0] - top[:, 1], co[:, 0] - co[:, 1]
    assert _paired_exceeds(top_loss, co_loss)
    assert _separated(co[:, 2], top[:, 2])  # depth: co-creative adoption is not mandated


def _low_trust_reach(voice_effect, seeds):
    """Reach among low-trust families, averaged over weeks 50-100 of co-creative support."""
    out = []
    for s in seeds:
        model = TrustModel(rng=s, n_agencies=12, n_families=300, weeks=100, strategy_mix=1.0,
                           voice_effect=voice_effect, **ADAPTATION).run()
        out.append(model.datacollector.get_model_vars_dataframe()
                   ["reach_low_trust_community"][50:].mean())
    return np.array(out)


def test_family_voice_from_co_design_lifts_low_trust_families_reach():
    assert _paired_exceeds(_low_trust_reach(1.0, range(16)), _low_trust_reach(0.0, range(16)))


def test_record_every_keeps_run_once_weeks_and_the_same_summary():
    params = dict(n_agencies=4, n_isps=1, n_families=30, weeks=8)
    full = TrustModel(rng=4, **params).run()
    for every, weeks in ((3, [0, 3, 6, 8]), (0, [8]), (1, list(range(9)))):
        kept = TrustModel(rng=4, record_every=every, **params).run()
        frame = kept.datacollector.get_model_vars_dataframe()
        assert frame["week"].tolist() == weeks
        assert str(kept.summary()) == str(full.summary())


def test_the_caption_log_words_pending_rows_as_if_worded_at_once():
    """Rows wait unworded until the log is read; a note words them first, and rows that
    newer ones push out of the log are dropped unworded, as the deque would drop them."""
    log, eager = CaptionLog(maxlen=5), deque(maxlen=5)
    worded = []

    def word(rows: np.ndarray) -> None:
        worded.extend(rows.tolist())
        for r in rows.tolist():
            log.append((r, f"row {r}"))

    for first, n in ((0, 3), (3, 0), (3, 2), (5, 4), (9, 13), (22, 1)):
        rows = np.arange(first, first + n)
        log.defer(word, rows)
        eager.extend((r, f"row {r}") for r in rows.tolist())
        if first == 5:
            log.append((-1, "a note"))
            eager.append((-1, "a note"))
            assert list(log.read()) == list(eager)
    assert list(log.read()) == list(eager)
    assert worded[-5:] == [18, 19, 20, 21, 22] and len(worded) < 23


def test_defaults_copy_what_a_run_could_change_and_share_the_rest():
    from sim.parameters import PARAMETERS, defaults

    a, b = defaults(), defaults()
    for name, p in PARAMETERS.items():
        if p.kind == "structured":
            assert a[name] == p.default
            assert a[name] is not b[name] or a[name] is None, name
        else:
            assert isinstance(p.default, int | float | str | None), name


def test_milestone_medians_are_numpys():
    """The milestones' medians are np.median of the weeks agencies reached them (NaN when
    none did), computed here from the state."""
    for seed in range(6):
        model = TrustModel(rng=seed, n_agencies=9, weeks=60, n_families=60).run()
        st, summary = model.state, model.summary()
        for name, weeks in (("median_weeks_to_startup", st.startup_week),
                            ("median_weeks_to_full", st.first_full_week)):
            reached = weeks[weeks != NEVER]
            expected = float(np.median(reached)) if len(reached) else float("nan")
            got = summary[name]
            assert got == expected or (np.isnan(got) and np.isnan(expected)), name
            assert isinstance(got, float)


def test_a_trust_model_has_all_that_the_simulation_protocol_names():
    """Records, outcomes, events and reporters take a ``sim.world.Simulation`` so that
    they need not import the model; it must describe the model as it is."""
    import inspect

    from sim.world import Simulation

    model = TrustModel(rng=1, weeks=2)
    assert all(hasattr(model, name) for name in Simulation.__annotations__)
    methods = [n for n, f in vars(Simulation).items()
               if inspect.isfunction(f) and not n.startswith("_")]
    assert {"measured", "summary", "note", "add_agency"} <= set(methods)
    assert all(callable(getattr(model, n)) for n in methods)
