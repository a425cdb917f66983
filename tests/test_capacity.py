"""Sizes the schema accepts but the machine cannot handle: estimated before a run starts and
refused with one line saying what the run would need, before anything is written."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from sim import capacity
from sim.cli import main

GiB = 2**30


def _scenario(tmp_path: Path, population: dict, timeline: list | None = None,
              weeks: int = 4, parameters: dict | None = None) -> Path:
    data = {"name": "big", "weeks": weeks, "replicates": 2, "population": population,
            "timeline": timeline or [], "parameters": parameters or {}, "arms": {"a": {}}}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _run(monkeypatch, capsys, tmp_path, path: Path, *extra) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["trustsim", "run", str(path), "--no-figures", *extra])
    before = set(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    if exc.value.code == 2:
        assert set(tmp_path.rglob("*")) == before, "a refused run wrote something"
        assert len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def test_the_estimate_grows_with_every_population_and_counts_joining_partners():
    small = capacity.estimate({"n_families": 1_000_000})
    large = capacity.estimate({"n_families": 2_000_000})
    assert large.bytes - small.bytes == pytest.approx(
        1_000_000 * capacity.COSTS["bytes_per_family"])
    assert large.seconds > small.seconds
    joins = [{"kind": "partner_joins", "week": 1, "count": 1000}]
    grown = capacity.estimate({"n_agencies": 12, "timeline": joins})
    assert grown.bytes > capacity.estimate({"n_agencies": 1000}).bytes
    assert grown.seconds > capacity.estimate({"n_agencies": 1012}).seconds
    assert capacity.estimate({"n_agencies": 100_000}).bytes > 1_000 * GiB


def test_a_runs_time_is_estimated_for_its_engine():
    """The engines differ a hundredfold in speed (benchmarks/capacity.py --engine), so a
    run is priced by the engine it will use; the default engine's costs apply when none
    is given."""
    county = {"n_agencies": 12, "n_families": 1200, "weeks": 156}
    seconds = {e: capacity.estimate({**county, "engine": e}).seconds
               for e in ("agents", "vectorized", "compiled")}
    assert seconds["agents"] > 10 * seconds["vectorized"]
    assert seconds["vectorized"] > 2 * seconds["compiled"]
    assert capacity.estimate(county).seconds == seconds["compiled"]
    assert capacity.estimate({**county, "engine": "agents"}).bytes == \
        capacity.estimate(county).bytes


def test_a_hundred_thousand_agencies_are_refused_saying_what_they_need(monkeypatch, capsys,
                                                                       tmp_path):
    path = _scenario(tmp_path, {"n_agencies": 100_000})
    code, _, err = _run(monkeypatch, capsys, tmp_path, path)
    assert code == 2
    assert "big.yaml: population: one run would need" in err and "GiB of memory" in err


def test_ten_million_families_are_refused_when_memory_is_short(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(capacity, "available_memory", lambda: 4 * GiB)
    path = _scenario(tmp_path, {"n_families": 10_000_000})
    code, _, err = _run(monkeypatch, capsys, tmp_path, path, "--workers", "2")
    assert code == 2 and re.search(r"one run would need \d\.\d GiB of memory", err), err


def test_too_many_workers_for_the_memory_are_refused_with_a_count_that_fits(
        monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(capacity, "available_memory", lambda: 10 * GiB)
    path = _scenario(tmp_path, {"n_families": 10_000_000})
    code, _, err = _run(monkeypatch, capsys, tmp_path, path, "--workers", "2")
    assert code == 2 and "2 runs at once" in err and "use --workers 1" in err


def test_a_run_of_a_hundred_years_over_millions_of_ties_is_refused_as_too_slow(
        monkeypatch, capsys, tmp_path):
    # 6,000 agencies at density 0.3: about 10.8 million ties (about 5 GiB, so it fits),
    # each touched every week for 5,200 weeks: over a day with the vectorized engine
    # (the compiled one, the default, would take some hours)
    path = _scenario(tmp_path, {"n_agencies": 6000, "n_isps": 10}, weeks=5200,
                     parameters={"engine": "vectorized"})
    code, _, err = _run(monkeypatch, capsys, tmp_path, path)
    assert code == 2 and "one run would take" in err and "(estimated)" in err


def test_a_run_that_fits_says_what_it_will_cost(monkeypatch, capsys, tmp_path):
    path = _scenario(tmp_path, {"n_agencies": 3, "n_isps": 1, "n_families": 20})
    code, out, err = _run(monkeypatch, capsys, tmp_path, path, "--workers", "1")
    assert code == 0, err
    assert "MiB and" in out and "per run" in out

