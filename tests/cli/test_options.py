"""Bad command-line options of every command: one line on stderr, exit 2, no traceback."""

from __future__ import annotations

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
