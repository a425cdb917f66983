"""Check the ``trustsim`` commands the docs quote, without running them.

Every command in a fenced code block of README.md and docs/*.md (a line whose first word
is ``trustsim`` or ends in ``/trustsim``; ``make TARGET`` lines stand for the trustsim
commands of that Makefile recipe) is parsed by the command line itself (click's parser:
the subcommand, every option and its value's type and range, the arguments). Beyond
parsing, in each file taken from top to bottom:

- a path into the repository's own folders (``scenarios/``, ``experiments/``, ...) must
  exist (a glob must match);
- a ``results/...`` folder a command reads must have been written by a command above it
  on the same page (``results/app/`` is written by the dashboard's Save button);
- ``trustsim run`` or ``rerun`` into a folder a command above already wrote needs
  ``--overwrite``: without it the second run is refused.
"""

from __future__ import annotations

import glob
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Folders that results commands write and never ship; a quoted path there is an output.
RESULTS = "results/"
#: Written by something other than a quoted command (why: see the module docstring).
WRITTEN_ELSEWHERE = ("results/app/",)
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class Quoted:
    """A command as quoted: the file and line, and its words after ``trustsim``."""

    file: str
    line: int
    words: list[str]
    via: str = ""  # "make demo" when it stands for a Makefile recipe's command

    def __str__(self) -> str:
        shown = "trustsim " + " ".join(self.words)
        return f"{self.file}:{self.line}: {self.via + ': ' if self.via else ''}{shown}"


def code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line inside fenced code blocks, continuation lines
    (a trailing backslash) joined onto the first."""
    out: list[tuple[int, str]] = []
    inside, pending, start = False, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            continue
        if pending:
            line = pending + " " + line.strip()
        else:
            start = number
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1]
            continue
        pending = ""
        out.append((start, line))
    return out


def split(line: str) -> list[str] | None:
    """The words of a shell line (a leading ``$ `` prompt dropped, comments removed), or
    None when it is not one shell command (unbalanced quotes: output, not a command)."""
    line = line.strip().removeprefix("$ ")
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return None


def makefile_commands(root: Path, target: str) -> list[list[str]]:
    """The trustsim commands of a Makefile target's recipe (``$(BIN)/trustsim ...``)."""
    lines = (root / "Makefile").read_text(encoding="utf-8").splitlines()
    out, inside = [], False
    for line in lines:
        if re.match(rf"^{re.escape(target)}\s*:", line):
            inside = True
            continue
        if inside and not line.startswith("\t"):
            break
        if inside:
            words = split(line)
            if words and words[0].endswith("/trustsim"):
                out.append(words[1:])
    return out


def quoted_commands(root: Path, path: Path) -> list[Quoted]:
    """Every trustsim command quoted in ``path``'s code blocks, in order."""
    return commands_in(root, path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def commands_in(root: Path, text: str, name: str) -> list[Quoted]:
    """Every trustsim command quoted in the code blocks of ``text`` (a page ``name``)."""
    out = []
    for number, line in code_lines(text):
        words = split(line)
        if not words:
            continue
        if words[0] == "trustsim" or words[0].endswith("/trustsim"):
            if len(words) > 1 and words[1].endswith(":"):
                continue  # an error message quoted: "trustsim run: Invalid value ..."
            out.append(Quoted(name, number, words[1:]))
        elif words[0] == "make" and len(words) == 2:
            for cmd in makefile_commands(root, words[1]):
                out.append(Quoted(name, number, cmd, via=f"make {words[1]}"))
    return out


@dataclass
class Page:
    """What the commands above on a page wrote: folder -> the command that wrote it."""

    root: Path
    written: dict[str, str] = field(default_factory=dict)


def _click_group():
    import typer

    from sim.cli import _register, app

    _register()
    return typer.main.get_command(app)


def parse(quoted: Quoted, group=None):
    """The click context of the quoted command (raises click's UsageError)."""
    group = group or _click_group()
    ctx = group.make_context("trustsim", [quoted.words[0]] if quoted.words else [],
                             resilient_parsing=True)
    if not quoted.words:
        return ctx
    command = group.get_command(ctx, quoted.words[0])
    if command is None:
        raise ValueError(f"no command '{quoted.words[0]}'")
    return command.make_context(quoted.words[0], quoted.words[1:], parent=ctx)


def _name_in(path: Path) -> str | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data.get("name") if isinstance(data, dict) else None


def _outputs(command: str, params: dict, root: Path) -> list[str]:
    """The results folders a command writes (its --out, else its default)."""
    out = params.get("out")
    if out is not None:
        return [str(out).rstrip("/")]
    source = next((v for v in params.values() if isinstance(v, Path)), None)
    name = _name_in(root / source) if source is not None else None
    if name is None:
        return []
    return {"run": [f"results/{name}"], "sweep": [f"results/sweeps/{name}"],
            "calibrate": [f"results/calibrations/{name}"]}.get(command, [])


def _repo_folders(root: Path) -> set[str]:
    return {p.name + "/" for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name + "/" != RESULTS}


def check_page(root: Path, commands: list[Quoted], group=None) -> list[str]:
    """Problems with one page's commands, each naming the file, line and command."""
    from sim.cli import _click_classes

    usage_errors = (*_click_classes("UsageError"), ValueError)
    group = group or _click_group()
    folders = _repo_folders(root)
    page = Page(root)
    problems = []
    for quoted in commands:
        try:
            ctx = parse(quoted, group)
        except usage_errors as exc:
            problems.append(f"{quoted}: {' '.join(str(exc).split())}")
            continue
        if not quoted.words:
            continue
        command = quoted.words[0]
        params = {k: v for k, v in ctx.params.items()  # what the quote says, not defaults
                  if getattr(ctx.get_parameter_source(k), "name", "") == "COMMANDLINE"}
        outputs = _outputs(command, params, root)
        given = [(k, v) for k, vs in params.items()
                 for v in (vs if isinstance(vs, (list, tuple)) else [vs])]
        for key, value in given:
            if key == "out" or not isinstance(value, (str, Path)):
                continue
            text = str(value)
            if text.split("/")[0] + "/" in folders:
                if not glob.glob(str(root / text)):
                    problems.append(f"{quoted}: {text} does not exist")
            elif text.startswith(RESULTS) and not text.startswith(WRITTEN_ELSEWHERE):
                if not any(text == w or text.startswith(w + "/") for w in page.written):
                    problems.append(f"{quoted}: reads {text}, which no command above on "
                                    "this page writes")
        if command in ("run", "rerun") and not params.get("overwrite"):
            for folder in outputs:
                if folder in page.written:
                    problems.append(f"{quoted}: would be refused: {folder} was already "
                                    f"written by `{page.written[folder]}` above; pass "
                                    "--out NEW or --overwrite")
        for folder in outputs:
            page.written.setdefault(folder, quoted.via or "trustsim " + " ".join(quoted.words))
    return problems


def doc_pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def check_all(root: Path) -> list[str]:
    """Every problem with every quoted command in README.md and docs/*.md."""
    group = _click_group()
    problems = []
    for path in doc_pages(root):
        problems += check_page(root, quoted_commands(root, path), group)
    return problems
