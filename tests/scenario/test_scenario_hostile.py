"""Hostile scenario files: each is refused with one line naming the file and the field,
without a traceback and without expanding, printing or running what it asks for."""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import ScenarioError, show_value
from sim.scenario import load_scenario


def _bomb(levels: int, value_key: str = "description") -> str:
    """A 'billion laughs' document: each level repeats the one below nine times."""
    lines = ["name: bomb", 'l0: &l0 ["xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines.append(f"{value_key}: *l{levels}")
    lines.append("arms: {a: {}}")
    return "\n".join(lines) + "\n"


def _message(path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text
    return text


def test_an_alias_bomb_is_refused_before_it_is_expanded(write):
    msg = _message(write("bomb.yaml", _bomb(6)))
    assert "bomb.yaml: " in msg and "aliases" in msg and "expand" in msg


def test_a_huge_alias_bomb_is_refused_too(write):
    # 3 * 9**12 (about 8e11) strings if expanded; refused from the document's shape alone
    assert "expand" in _message(write("bomb.yaml", _bomb(12)))


def test_a_recursive_alias_is_refused(write):
    msg = _message(write("loop.yaml", "name: &a [*a]\narms: {a: {}}\n"))
    assert "loop.yaml" in msg and "refers to itself" in msg


def test_deep_nesting_is_refused(write):
    deep = "[" * 5000 + "]" * 5000
    msg = _message(write("deep.yaml", f"name: x\ndescription: {deep}\narms: {{a: {{}}}}\n"))
    assert "deep.yaml" in msg and "nested" in msg


def test_a_file_too_large_to_be_a_scenario_is_refused(write):
    msg = _message(write("big.yaml", "name: x\n" + "#" * 2_000_000 + "\narms: {a: {}}\n"))
    assert "big.yaml" in msg and "MiB" in msg


def test_a_binary_file_is_refused(write, tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    msg = _message(path)
    assert "bin.yaml" in msg and "UTF-8" in msg


def test_a_directory_in_extends_is_named_as_a_directory(write, minimal, tmp_path):
    (tmp_path / "folder").mkdir()
    msg = _message(write("s.yaml", minimal(extends="folder")))
    assert "s.yaml: extends:" in msg and "is a folder" in msg and "not found" not in msg


class _Loud:
    def __repr__(self) -> str:
        raise AssertionError("repr of the whole value was taken")


def test_show_value_never_takes_the_repr_of_an_unbounded_value():
    value = ["a"] * 1000 + [_Loud()]
    text = show_value(value)
    assert len(text) <= 60 and text.startswith("['a'")
    nested: list = ["x"]
    for _ in range(40):
        nested = [nested] * 9  # 9**40 strings if expanded; shared, so built at once
    assert len(show_value(nested)) <= 60


@pytest.mark.parametrize("text", ["1e308", "1.0e308", "2E5", "-3e-2", "+1.5e+3"])
def test_yaml_1_2_exponents_are_numbers(write, minimal, text):
    path = write("s.yaml", minimal(arms={"a": {}}) | {"seed": "SEED"})
    path.write_text(path.read_text().replace("SEED", "0")
                    + f"parameters: {{asymmetry: {text}}}\n")
    value = float(text)
    if 1 <= value <= 5:
        assert load_scenario(path).arm_params("a")["asymmetry"] == value
    else:
        msg = _message(path)
        assert "parameters.asymmetry: expected a number in [1, 5], got " in msg
        assert f"'{text}'" not in msg and "valid number" not in msg


NON_FINITE = [".inf", "-.inf", ".nan", "1e308", "1e999"]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("where", [
    "strategies: {co_creative: {co_learning: VALUE}}",
    "interactions: {directive: {pressure: VALUE}}",
    "interactions: {directive: {hours: VALUE}}",
    "interactions: {directive: {tests: {ability: VALUE}}}",
    "parameters: {asymmetry: VALUE}",
    "population: {partnership_density: VALUE}",
    "population: {family_groups: [{name: g, share: VALUE, prior_trust: 0.5}]}",
    "timeline: [{kind: crisis, onset: 1, duration: 4, intensity: VALUE}]",
    "arms: {a: {isp_hours: VALUE}}",
])
def test_non_finite_and_huge_numbers_are_refused(write, minimal, where, value):
    data = minimal()
    data.pop(where.split(":")[0], None)
    path = write("s.yaml", data)
    path.write_text(path.read_text() + where.replace("VALUE", value) + "\n")
    msg = _message(path)
    assert "s.yaml: " in msg and "expected" in msg, msg


def test_a_strategy_share_has_an_upper_bound(write, minimal):
    path = write("s.yaml", minimal(strategies={"co_creative": {"co_learning": 1e9}}))
    assert "strategies.co_creative.co_learning: expected" in _message(path)


@pytest.mark.parametrize("where", [
    "timeline: [{kind: crisis, onset: '8', duration: 4}]",
    "timeline: [{kind: funding_cut, week: 3, severity: '0.5'}]",
    "interactions: {directive: {hours: '8'}}",
    "interactions: {directive: {reciprocal: 'yes'}}",
    "parameters: {asymmetry: '2'}",
])
def test_numeric_strings_are_refused_everywhere(write, minimal, where):
    path = write("s.yaml", minimal())
    path.write_text(path.read_text() + where + "\n")
    assert "expected" in _message(path)


def test_an_event_at_the_last_week_is_accepted_by_file_and_api_alike(write, minimal):
    from sim.config import check_params

    event = {"kind": "crisis", "onset": 30, "duration": 4}
    sc = load_scenario(write("s.yaml", minimal(timeline=[event])))
    check_params(sc.arm_params("top_down"))
    late = write("t.yaml", minimal(timeline=[dict(event, onset=31)]))
    assert "timeline.0.onset" in _message(late)
    with pytest.raises(ValueError):
        check_params(dict(sc.arm_params("top_down"), timeline=[dict(event, onset=31)]))


def test_a_family_group_name_the_model_refuses_is_refused_by_the_schema(write, minimal):
    groups = [{"name": "low-trust", "share": 1.0, "prior_trust": 0.2}]
    msg = _message(write("s.yaml", minimal(population={"family_groups": groups})))
    assert "s.yaml: population.family_groups.0.name: expected" in msg
    assert "letters, digits and underscores" in msg


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308])
def test_the_api_refuses_non_finite_numbers_too(value):
    from sim.config import check_params

    for params in ({"asymmetry": value}, {"n_families": value},
                   {"strategies": {"co_creative": {"co_learning": value}}},
                   {"interactions": {"directive": {"pressure": value}}},
                   {"timeline": [{"kind": "crisis", "onset": 1, "duration": 3,
                                  "intensity": value}]}):
        with pytest.raises(ValueError):
            check_params(params)


HOSTILE_TEXTS = [
    "", "[]", "42", "name: [", "\x00", "\ufeff", "name: x\narms: 5", "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n", "name: !!python/object/apply:os.system ['true']\narms: {a: {}}",
    "name: !!binary AAAA\narms: {a: {}}", "name: 2001-01-01\narms: {a: {}}",
    "name: x\nweeks: 2001-01-01\narms: {a: {}}", "name: x\nweeks: true\narms: {a: {}}",
    "name: x\nseed: 1e400\narms: {a: {}}", "name: x\nseed: 99999999999999999999999\narms: {a: {}}",
    "name: x\narms: {'a/b': {}}", "name: x\nextends: /\narms: {a: {}}", "name: x\nextends: 5",
    "name: x\nextends: [a]", "name: x\nextends: ''", "name: x\nextends: /dev/null",
    "name: x\nstrategies: 5\narms: {a: {}}", "name: x\nstrategies: {co_creative: 5}\narms: {a: {}}",
    "name: x\nstrategies: {co_creative: {co_learning: [1]}}\narms: {a: {}}",
    "name: x\nstrategies: {co_creative: {co_learning: 0}, top_down: {}}\narms: {a: {}}",
    "name: x\npopulation: {family_groups: []}\narms: {a: {}}",
    "name: x\npopulation: {family_groups: [5]}\narms: {a: {}}",
    "name: x\npopulation: {agency_sectors: [[]]}\narms: {a: {}}",
    "name: x\ntimeline: [5]\narms: {a: {}}", "name: x\ntimeline: {kind: crisis}\narms: {a: {}}",
    "name: x\ntimeline: [{kind: crisis}]\narms: {a: {}}",
    "name: x\ntimeline: [{kind: [crisis]}]\narms: {a: {}}",
    "name: x\ninteractions: {new_type: {}}\narms: {a: {}}",
    "name: x\ninteractions: {directive: 5}\narms: {a: {}}",
    "name: x\ninteractions: {directive: {tests: 5}}\narms: {a: {}}",
    "name: x\narms: {a: {family_groups: 5}}", "name: x\narms: {a: {timeline: 5}}",
    "name: x\narms: {a: {interactions: {directive: {special: broker}}}}",
    "name: x\narms: {a: {engine: warp}}", "name: x\narms: {a: {n_families: -1}}",
    "name: x\narms: {a: 5}", "name: x\narms: {5: {}}", "name: x\narms: {null: {}}",
    "name: x\narms: {a: {}}\nreplicates: 1.5", "name: x\narms: {a: {}}\ndescription: 5",
    "name: x\narms: {a: {}}\n" + "a" * 100_000 + ": 1",
    "name: x\narms: {a: {}}\n<<: {name: y}", "name: &a x\narms: {*a : {}}",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_is_a_scenario_error_or_loads(write, text):
    path = write("h.yaml", text)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400, str(exc)


_VALUES = [None, True, -1, 0, 2**70, -(2**70), 1e308, -1e308, math.inf, math.nan, "", "x" * 500,
           "8", "1e3", [], [1, 2], {}, {"kind": "crisis"}, {"a": {"b": {}}}, 0.5, 3, "crisis"]


def _mutate(data, rng):
    """A copy of ``data`` with one value somewhere replaced by a hostile one."""
    import copy

    data = copy.deepcopy(data)
    node, key = None, None
    cur = data
    while isinstance(cur, dict | list) and cur and rng.random() < 0.8:
        keys = list(cur) if isinstance(cur, dict) else list(range(len(cur)))
        node, key = cur, keys[rng.integers(len(keys))]
        cur = cur[key]
    if node is None:
        data[str(rng.choice(["name", "weeks", "arms", "population", "timeline", "seed"]))] = \
            _VALUES[rng.integers(len(_VALUES))]
    else:
        node[key] = _VALUES[rng.integers(len(_VALUES))]
    return data


def test_three_hundred_mutated_scenarios_never_raise_anything_but_a_scenario_error(
        write, minimal):
    import numpy as np
    import yaml

    rng = np.random.default_rng(20261126)
    base = minimal(timeline=[{"kind": "crisis", "onset": 3, "duration": 5},
                             {"kind": "partner_joins", "week": 2, "count": 2}],
                   strategies={"co_creative": {"co_learning": 0.3}},
                   interactions={"directive": {"hours": 2, "tests": {"ability": 0.5}}},
                   population={"n_agencies": 4, "n_isps": 1, "n_families": 40,
                               "family_groups": [{"name": "g", "share": 1.0,
                                                  "prior_trust": 0.5}]})
    for i in range(300):
        data = _mutate(base, rng)
        path = write("m.yaml", yaml.safe_dump(data, allow_unicode=True))
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 400, (i, str(exc))


@pytest.mark.parametrize(("value", "expected"), [
    ("x" * 601, "at most 600 characters"), (5, "string"), (["a"], "string"),
])
def test_a_bad_workshop_note_is_one_line_naming_the_field(write, value, expected):
    """``workshop:`` (the trainers' note the dashboard shows) is plain text, capped."""
    import yaml

    text = yaml.safe_dump({"name": "x", "arms": {"a": {}}, "workshop": value})
    msg = _message(write("w.yaml", text))
    assert "w.yaml: workshop: " in msg and expected in msg, msg


# -- a hostile results folder ------------------------------------------------------------
TINY = Path(__file__).parents[1] / "sweep" / "data" / "tiny.yaml"
RUN = ["run", "tiny.yaml", "-n", "2", "--weeks", "12", "-w", "1", "--out", "out",
       "--no-figures"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run of tiny.yaml in ``out`` (as RUN writes it), beside the scenario."""
    from sim.scenario.runner import run_scenario

    folder = tmp_path_factory.mktemp("finished")
    shutil.copy(TINY, folder / "tiny.yaml")
    scenario = load_scenario(folder / "tiny.yaml", weeks=12)
    run_scenario(scenario, replicates=2, out=folder / "out", figures=False)
    return folder


@pytest.fixture
def ran(finished, tmp_path) -> Path:
    """A copy of the finished run's folder (tiny.yaml, out/) to spoil."""
    shutil.copytree(finished, tmp_path / "w", symlinks=True)
    return tmp_path / "w"


def _cli(monkeypatch, capsys, where: Path, *args) -> tuple[int, str]:
    monkeypatch.chdir(where)
    monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    return exc.value.code, capsys.readouterr().err


def _incomplete(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "incomplete"
    (out / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("link, args", [
    ("figures", ["plot", "out"]),
    ("figures/adoption.png", ["plot", "out"]),
    ("figures", RUN[:-1]),
    (".parts", RUN),
    ("damaged", RUN),
], ids=["plot-figures", "plot-figure-file", "run-figures", "resume-parts", "resume-damaged"])
def test_a_link_inside_a_scenario_folder_is_refused(monkeypatch, capsys, ran, link, args,
                                                    one_line, snapshot):
    elsewhere = ran / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.txt").write_text("the user's")
    target = elsewhere / "adoption.png" if link.endswith(".png") else elsewhere
    (ran / "out" / link).parent.mkdir(exist_ok=True)
    (ran / "out" / link).symlink_to(target)
    if args[0] == "run":
        _incomplete(ran / "out")  # resumed: only missing runs run
    if link == "damaged":  # a damaged run to set aside
        (ran / "out" / ".parts" / "summaries").mkdir(parents=True)
        (ran / "out" / ".parts" / "summaries" / "part-000000.parquet").write_bytes(b"bad")
    before = snapshot(elsewhere)
    err = one_line(*_cli(monkeypatch, capsys, ran, *args))
    assert f"out/{link}: is a symbolic link" in err, err
    assert snapshot(elsewhere) == before


def _fifo(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def _loop(path: Path) -> Path:
    path.unlink(missing_ok=True)
    path.symlink_to(path.name + ".loop")
    path.with_name(path.name + ".loop").symlink_to(path.name)
    return path


def _truncate(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@pytest.mark.parametrize("spoil, name, args, expected", [
    (_fifo, "out/manifest.json", ["plot", "out"], "not a regular file"),
    (_fifo, "out/summaries.parquet", ["plot", "out"], "not a regular file"),
    (_fifo, "out/timeseries.parquet", ["plot", "out"], "not a regular file"),
    (_fifo, "tiny.yaml", ["run", "tiny.yaml", "--out", "again"], "not a regular file"),
    (_loop, "out/summaries.parquet", ["plot", "out"], "symbolic link loop"),
    (_loop, "out/manifest.json", ["plot", "out"], "symbolic link loop"),
    (_truncate, "out/summaries.parquet", ["plot", "out"], "cannot read the table"),
    (_truncate, "out/timeseries.parquet", ["plot", "out"], "cannot read the table"),
], ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", None))
def test_a_damaged_or_blocking_file_is_one_line(monkeypatch, capsys, ran, unblocked, spoil,
                                                name, args, expected, one_line):
    path = spoil(ran / name)
    fifos = [path] if spoil is _fifo else []
    err = one_line(*unblocked(lambda: _cli(monkeypatch, capsys, ran, *args), fifos))
    assert path.name in err and expected in err, err


def test_a_run_stopped_by_the_file_size_limit_is_redone_by_the_same_command(tmp_path):
    """``ulimit -f``: the first manifest.json cannot be written (EFBIG: Python ignores
    SIGXFSZ); the folder it leaves must not be refused by the same command later."""
    shutil.copy(TINY, tmp_path / "tiny.yaml")
    command = [sys.executable, "-c", "import sys; from sim.cli import main; "
               "sys.argv[0] = 'trustsim'; main()", *RUN]
    limit = 2048  # bytes: the parts fit, the scenario's manifest does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                           preexec_fn=small_files, timeout=300)
    assert first.returncode != 0 and "File too large" in first.stderr, first.stderr
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "complete"


def test_a_truncated_manifest_is_set_aside_and_the_run_redone(monkeypatch, capsys, ran):
    manifest = _truncate(ran / "out" / "manifest.json")
    damaged = manifest.read_bytes()
    code, err = _cli(monkeypatch, capsys, ran, *RUN, "--overwrite")
    assert code == 0, err
    code, err = _cli(monkeypatch, capsys, ran, *RUN)
    assert code == 2 and "already exists" in err  # complete again
    _truncate(manifest)
    damaged = manifest.read_bytes()
    code, err = _cli(monkeypatch, capsys, ran, *RUN)
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("trustsim:")]
    assert len(lines) == 1 and "manifest.json is damaged" in lines[0], err
    assert (ran / "out" / "damaged" / "manifest.json").read_bytes() == damaged
    assert json.loads(manifest.read_text())["status"] == "complete"
