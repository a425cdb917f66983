"""Agent-level reporters by name (sim.reporters): Mesa agent-type reporters on a model,
a sweep's agents table with codebook rows, one-line errors for unknown names."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim import reporters
from sim.errors import ExperimentError

TESTS = Path(__file__).parent
ALL = {kind: list(by) for kind, by in reporters.REPORTERS.items()}


@pytest.fixture(scope="module")
def model():
    from sim import TrustModel

    m = TrustModel(rng=3, weeks=6, n_families=60)
    reporters.attach(m, ALL)
    m.run()
    return m


def test_reporters_are_mesa_agent_type_reporters(model):
    from sim.agents import Agency, Family, ImplementationSupportPractitioner

    weeks = model.week + 1  # week 0 was recorded before the reporters were attached
    for cls, n, names in ((ImplementationSupportPractitioner, model.state.n_isps, ALL["isp"]),
                          (Family, model.state.n_families, ALL["family"]),
                          (Agency, model.state.n_agencies, ALL["agency"])):
        frame = model.datacollector.get_agenttype_vars_dataframe(cls)
        assert set(names) <= set(frame.columns)
        assert len(frame) == weeks * n, cls


def test_reporters_read_what_the_agents_say(model):
    """Each trust reporter equals the agent's own ``trust_in``; counts add up."""
    st = model.state
    values = reporters.read(model, ALL)
    for i, agency in enumerate(model.agency_agents):
        j = st.isp_of[i]
        want = agency.trust_in(model.isp_agents[j]) if j >= 0 else np.nan
        assert values["agency"]["trust_in_isp"][i] == pytest.approx(want, nan_ok=True)
    assert values["isp"]["agencies_served"].sum() == (st.isp_of >= 0).sum()
    families = list(model.agents_by_type[reporters.agent_class("family")])
    for f in families[:10]:
        k = f.unique_id - families[0].unique_id
        agency = model.agency_agents[st.family_agency[k]]
        assert values["family"]["trust_in_agency"][k] == pytest.approx(f.trust_in(agency))
    assert set(values["family"]["family_group"]) <= set(model.group_names)


def test_every_reporter_has_a_codebook_row_with_a_unit():
    from sim.codebook import entry

    for name in reporters.ENTRIES:
        row = entry(name, "agents")
        assert row.unit and "not in the codebook" not in row.meaning, name
        assert "another agent type" in row.nan, name


def test_the_docs_quote_the_registry_as_it_is():
    assert reporters.markdown_table() in (TESTS.parent / "docs" / "sweeps.md").read_text()


@pytest.fixture
def experiment(tmp_path):
    shutil.copy(TESTS / "sweep" / "data" / "tiny.yaml", tmp_path / "tiny.yaml")

    def write(**change) -> Path:
        data = {"name": "ag", "scenario": "tiny.yaml",
                "parameters": {"strategy_mix": {"levels": [0.0, 1.0]}}, "replicates": 1,
                "seed": 5, "weeks": 12, "record": {"every": 6},
                "agents": {"isp": ["trust_from_agencies", "agencies_served"],
                           "family": ["engaged"]}, **change}
        path = tmp_path / "exp.yaml"
        path.write_text(yaml.safe_dump(data))
        return path
    return write


def test_a_sweep_stores_the_agents_table_with_its_codebook(experiment, tmp_path):
    from sim.sweep import load, run

    run(experiment(), workers=1, out=tmp_path / "out", progress=False)
    res = load(tmp_path / "out")
    table = res.agents()
    population = yaml.safe_load((tmp_path / "tiny.yaml").read_text())["population"]
    per_run = 3 * (population["n_isps"] + population["n_families"])  # weeks 0, 6, 12
    assert len(table) == 2 * per_run
    assert sorted(table["week"].unique()) == [0, 6, 12]
    isps = table[table["agent_type"] == "isp"]
    assert isps["engaged"].isna().all() and isps["trust_from_agencies"].notna().any()
    codebook = (tmp_path / "out" / "codebook.csv").read_text()
    assert "agents/part-*.parquet,trust_from_agencies,double,mean trust the agencies" in codebook


@pytest.mark.parametrize("agents, field, words", [
    ({"isp": ["trust_from_agencys"]}, "agents.isp",
     "unknown isp reporter 'trust_from_agencys'; known: isp_active, "),
    ({"ngo": ["x"]}, "agents", "unknown agent type 'ngo'; known: agency, isp, family"),
])
def test_an_unknown_reporter_is_one_line(experiment, agents, field, words):
    from sim.sweep.spec import load_experiment

    with pytest.raises(ExperimentError) as info:
        load_experiment(experiment(agents=agents))
    message = str(info.value)
    assert f"exp.yaml: {field}: {words}" in message and "\n" not in message


def test_an_unknown_outcome_lists_the_known_names(experiment, tmp_path):
    from sim.sweep import run

    with pytest.raises(ExperimentError) as info:
        run(experiment(outcomes=["final_reech"], agents=None), workers=1,
            out=tmp_path / "out", progress=False)
    message = str(info.value)
    assert "outcomes: unknown outcome 'final_reech'; did you mean 'final_reach'?" in message
    assert "known: " in message and "time_to_50_full" in message and "\n" not in message


def test_a_paired_sweep_takes_no_agents(experiment):
    from sim.sweep.spec import load_experiment

    with pytest.raises(ExperimentError, match="exp.yaml: agents: agent-level reporters"):
        load_experiment(experiment(arms=["top_down", "co_creative"]))
