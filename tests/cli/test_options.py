"""Bad command-line options of every command: one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
COVID = str(ROOT / "scenarios" / "covid_pivot.yaml")
GRID = str(ROOT / "tests" / "sweep" / "data" / "grid.yaml")

BAD = [
    ("run", COVID, "--weeks", "0"),
    ("run", COVID, "--weeks", "abc"),
    ("run", COVID, "--weeks", "1e3"),
    ("run", COVID, "--weeks", "6000"),
    ("run", COVID, "--replicates", "0"),
    ("run", COVID, "-n", "-3"),
    ("run", COVID, "--seed", "-1"),
    ("run", COVID, "--seed", str(2**64)),
    ("run", COVID, "--workers", "0"),
    ("run", COVID, "--workers", "x"),
    ("run", COVID, "--out"),
    ("run", COVID, "--bogus"),
    ("run",),
    ("validate",),
    ("validate", COVID, "--strict"),
    ("plot",),
    ("plot", "somewhere", "--out"),
    ("list", "--dir"),
    ("list", "extra"),
    ("sweep", GRID, "--workers", "0"),
    ("sweep", GRID, "--workers", "abc"),
    ("sweep", GRID, "--workers", "100000"),
    ("sweep", GRID, "--batch-size", "0"),
    ("sweep", GRID, "--max-runs", "0"),
    ("sweep", GRID, "--unknown"),
    ("analyze", "somewhere", "--point", "abc"),
    ("analyze",),
    ("app", COVID, "--port", "abc"),
    ("app", COVID, "--nope"),
    ("animate", COVID),
    ("animate", COVID, "--out", "x.gif", "--fps", "0"),
    ("animate", COVID, "--out", "x.gif", "--every", "0"),
    ("animate", COVID, "--out", "x.gif", "--weeks", "abc"),
    ("nosuchcommand",),
    ("--nope",),
]


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["trustsim", *args])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    return exc.value.code, capsys.readouterr().err


@pytest.mark.parametrize("args", BAD, ids=lambda a: " ".join(a)[-40:])
def test_a_bad_option_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path, args):
    monkeypatch.chdir(tmp_path)  # nothing is written where the tests live
    code, err = _cli(monkeypatch, capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustsim"), err
    assert not list(tmp_path.iterdir()), "a bad option wrote something"


def test_the_message_names_the_option_and_what_it_expects(monkeypatch, capsys):
    _, err = _cli(monkeypatch, capsys, "run", COVID, "--weeks", "0")
    assert "--weeks" in err and ">= 1" in err
    _, err = _cli(monkeypatch, capsys, "run", COVID, "--bogus")
    assert "--bogus" in err and "trustsim run --help" in err


def test_no_arguments_still_prints_the_help(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["trustsim"])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert "Usage" in out.out + out.err and "run" in out.out + out.err
    assert exc.value.code in (0, 2)


BAD_FILES = {
    "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
    "bomb.yaml": ("name: b\na0: &a0 [x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 12))
        + "description: *a11\narms: {a: {}}\n").encode(),
    "list.yaml": b"- 1\n- 2\n",
    "inf.yaml": b"name: x\nparameters: {asymmetry: .inf}\narms: {a: {}}\n",
    "share.yaml": b"name: x\nstrategies: {co_creative: {co_learning: 1.0e308}}\narms: {a: {}}\n",
    "group.yaml": b"name: x\npopulation: {family_groups: [{name: low-trust, share: 1, "
                  b"prior_trust: 0.5}]}\narms: {a: {}}\n",
    "huge.yaml": b"name: x\npopulation: {n_agencies: 100000}\narms: {a: {}}\n",
    "folder": None,
    "missing.yaml": "missing",
}


def _no_server(*args):
    raise AssertionError("trustsim app started a server for a bad file")


@pytest.mark.parametrize("command", [("validate",), ("run",), ("sweep",),
                                     ("animate", "--out", "x.gif"), ("app",)])
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_one_line_and_exit_2_for_every_command(monkeypatch, capsys, tmp_path,
                                                             command, name):
    content = BAD_FILES[name]
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "execve", _no_server)  # `trustsim app` must fail before serving
    before = set(tmp_path.rglob("*"))
    code, err = _cli(monkeypatch, capsys, command[0], str(path), *command[1:])
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert name in err
    assert set(tmp_path.rglob("*")) == before
