"""The compiled engine: a run's numbers depend on its seed only, and every phase of the
declared week runs (compiled where there is a loop, as in the vectorized engine
elsewhere). That it applies the same rules is the docking test's job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_docking import CONFIG as DOCKING  # every event kind (tests/engines on the path)

from sim import jit
from sim.engines import compiled
from sim.model import TrustModel
from sim.runs import keep_weeks, run_model, run_once
from sim.schedule import SCHEDULE, Phase

SMALL = dict(n_agencies=5, n_isps=2, n_families=80, weeks=30, engine="compiled",
             strategy_mix=0.5, word_of_mouth=0.3)


def _trace(model: TrustModel, weeks: int) -> list[tuple]:
    st = model.state
    return [(tuple(st.stage), float(st.ties["agency_isp"].r.sum()),
             float(st.ties["family_agency"].s.sum()), int(st.engaged.sum()))
            for _ in range(weeks) if model.step() is None]


def test_two_models_stepped_in_turn_give_the_numbers_each_gives_alone():
    alone = _trace(TrustModel(rng=11, **SMALL), 20)
    other = _trace(TrustModel(rng=12, **SMALL), 20)
    a, b = TrustModel(rng=11, **SMALL), TrustModel(rng=12, **SMALL)
    turns = [(_trace(a, 1)[0], _trace(b, 1)[0]) for _ in range(20)]
    assert [x for x, _ in turns] == alone
    assert [y for _, y in turns] == other


def test_every_phase_of_the_week_has_a_compiled_loop():
    assert set(compiled.COMPILED) == {p.name for p in SCHEDULE}
    # every phase is written once, in its own file of sim.phases, for every engine
    written_once = {p.stem for p in Path(jit.__file__).parent.joinpath("phases").glob("*.py")}
    assert {p.name for p in SCHEDULE} <= written_once
    assert compiled.WEEK == tuple(p.name for p in SCHEDULE)


@pytest.mark.parametrize("every", [0, 5, 1])
def test_a_run_in_whole_compiled_stretches_equals_the_run_week_by_week(every):
    """run_once runs as many weeks per compiled call as lie between events and recorded
    weeks; TrustModel.step one week a call: the same numbers, events and all."""
    params = {**DOCKING, "engine": "compiled"}
    for seed in (1, 2):
        stepped = TrustModel(rng=seed, record_every=every, **params).run()
        fast = run_once(params, seed, every)
        assert str(fast.summary) == str(stepped.summary())
        frame = stepped.datacollector.get_model_vars_dataframe()
        pd.testing.assert_frame_equal(fast.timeseries,
                                      keep_weeks(frame, every).reset_index(drop=True))


def test_agencies_no_longer_served_inside_a_stretch_broker_and_break_no_promises():
    """Within one compiled call of many weeks, an agency that abandons (so is no longer
    served) must not repeat an earlier week's introductions or broken-promise captions:
    a stretch gives the numbers and captions of the same weeks run one by one."""
    params = dict(n_agencies=10, n_isps=2, n_families=100, weeks=60, strategy_mix=0.5,
                  abandon_rate=0.05, engine="compiled")
    for seed in (1, 2, 5):
        stepped = TrustModel(rng=seed, record_every=0, **params).run()
        fast = run_model(params, seed, 0)
        assert str(fast.summary()) == str(stepped.summary())
        assert list(fast.log) == list(stepped.log)
        assert len(fast.state.ties["agency_agency"]) == len(stepped.state.ties["agency_agency"])


def test_a_phase_added_to_the_schedule_runs_phase_by_phase(monkeypatch):
    """A schedule with a phase the compiled week does not know still runs every phase:
    the known ones through their loops, the new one as in the vectorized engine."""
    calls = []
    extra = Phase("supervision", "A weekly supervision session.", "world",
                  apply=lambda w, *_: calls.append(w.week))
    model = TrustModel(rng=3, **SMALL).run()
    monkeypatch.setattr(compiled, "SCHEDULE", (*SCHEDULE, extra))
    again = TrustModel(rng=3, **SMALL).run()
    assert calls == list(range(1, SMALL["weeks"] + 1))
    assert again.summary()["final_share_at_full"] >= 0.0
    assert model.summary() != again.summary() or calls  # it ran, by another path


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_seed_gives_the_same_run(seed):
    one, two = TrustModel(rng=seed, **SMALL).run(), TrustModel(rng=seed, **SMALL).run()
    assert one.summary() == pytest.approx(two.summary(), nan_ok=True)
    assert np.array_equal(one.state.ties["family_agency"].r, two.state.ties["family_agency"].r)


def test_the_compiled_cache_is_named_after_the_rules_it_inlines(tmp_path):
    sources = jit.kernel_sources()
    assert any(path.name == "rules.py" for path in sources)
    assert any(path.parent.name == "phases" for path in sources)  # the kernels' own files
    changed = tmp_path / "rules.py"
    changed.write_text(sources[1].read_text() + "\n# a changed rule\n")
    assert jit.cache_dir([sources[0], changed, *sources[2:]]) != jit.cache_dir(sources)


LONG = dict(n_agencies=30, n_isps=3, n_families=60, weeks=340, engine="compiled",
            timeline=[{"kind": "leadership_change", "week": 300, "share": 0.5},
                      {"kind": "violation", "week": 330, "share": 0.5,
                       "dimension": "integrity", "severity": 3}])


def _captions(read_every_week: bool) -> list[tuple[int, str]]:
    model = TrustModel(rng=11, **LONG)
    while model.running:
        model.step()
        if read_every_week:
            len(model.log)
    return list(model.log)


def test_captions_worded_when_the_log_is_read_are_those_worded_each_week():
    """The engine words its captions only when the log is read: read once at the end, it
    holds what reading it every week gives, events' own notes in their place, and is cut
    to LOG_LENGTH alike."""
    from sim.model import LOG_LENGTH

    eager, lazy = _captions(True), _captions(False)
    assert lazy == eager and len(lazy) == LOG_LENGTH
    assert [w for w, t in lazy if "Leadership change" in t or "violation" in t] == [300, 330]


def _same_fields(shared, fresh) -> None:
    from dataclasses import fields

    for f in fields(fresh):
        a, b = getattr(shared, f.name), getattr(fresh, f.name)
        if isinstance(b, dict):
            assert a.keys() == b.keys(), f.name
            a, b = list(a.values()), list(b.values())
        same = (np.array_equal(a, b) if isinstance(b, np.ndarray)
                else all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
                if isinstance(b, list) else a == b)
        assert same, f.name


@pytest.mark.parametrize("engine", ["agents", "vectorized", "compiled"])
def test_runs_share_one_catalogue_and_stage_table_and_never_write_to_them(engine):
    """Runs of the same overrides share one validated catalogue (shared_catalogue) and
    stage table (stage_table), so no run, event or engine may change them."""
    from sim.catalogue import build_catalogue, stages
    from sim.world import StageTable

    params = {**DOCKING, "engine": engine, "weeks": 60,
              "interactions": {"co_learning": {"quality": 0.7}}}
    models = [TrustModel(rng=seed, **params).run() for seed in (1, 2)]
    a, b = (m.world for m in models)
    assert a.catalogue is b.catalogue and a.stages is b.stages
    _same_fields(a.catalogue, build_catalogue(params["interactions"]))
    _same_fields(a.stages, StageTable.from_stages(stages(models[0].p.stage_model)))
    for name in ("matrix", "driver_matrix"):
        fresh = getattr(StageTable.from_stages(stages(models[0].p.stage_model)), name)
        np.testing.assert_array_equal(getattr(a.stages, name), fresh)
