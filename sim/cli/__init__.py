"""The ``trustsim`` command line.

Each group of commands lives in its own module and registers itself on ``app``;
``main`` turns user errors into one line and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from sim.errors import TrustsimError

#: More worker processes than this is a typo, not a machine (each one costs a process).
MAX_WORKERS = 1024

app = typer.Typer(
    name="trustsim",
    help="Simulate how trust, built one micro-interaction at a time, shapes implementation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Import the command modules; each adds its commands to ``app``."""
    import importlib

    for name in ("scenario_commands", "sweep_commands", "app_commands", "calibrate_commands",
                 "discover_commands", "rerun_commands"):
        try:
            importlib.import_module(f"sim.cli.{name}")
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name != f"sim.cli.{name}":
                raise


def _click_classes(name: str) -> tuple[type, ...]:
    """``name`` from click and from the copy of click that newer Typer vendors."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _usage_line(exc: Exception) -> str:
    """A click usage error as one line: the command, what was wrong, where help is."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "trustsim"
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    message = message.replace("Input should be greater than or equal to", "expected >=")
    message = message.replace("Input should be less than or equal to", "expected <=")
    message = message.replace("Input should be", "expected")
    return f"{command}: {message} (see '{command} --help')"


def main() -> None:
    """Entry point of the ``trustsim`` script."""
    _register()
    try:
        code = app(standalone_mode=False, prog_name="trustsim")  # Ctrl-C (130), Exit(n): n
    except TrustsimError as exc:
        print(f"trustsim: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))  # 1 for a storage failure mid-run
    except KeyboardInterrupt:
        print("trustsim: interrupted; finished runs are kept on disk", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors (from click or Typer's copy of it)
        _click_exit(exc)
    if isinstance(code, int) and code:
        sys.exit(code)


def _click_exit(exc: Exception) -> None:
    """Exit as a click exception asks, with one line for a usage error; else re-raise."""
    if isinstance(exc, _click_classes("Exit")):
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    if isinstance(exc, _click_classes("NoArgsIsHelpError")):
        exc.show()  # type: ignore[attr-defined]  # the help text, as `trustsim` alone asks
        sys.exit(2)
    if isinstance(exc, _click_classes("ClickException")):
        print(_usage_line(exc) if isinstance(exc, _click_classes("UsageError"))
              else f"trustsim: {' '.join(exc.format_message().split())}",  # type: ignore
              file=sys.stderr)
        sys.exit(2)
    if isinstance(exc, _click_classes("Abort")):
        print("trustsim: interrupted", file=sys.stderr)
        sys.exit(130)
    raise exc
