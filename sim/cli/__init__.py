"""The ``trustsim`` command line.

Each group of commands lives in its own module and registers itself on ``app``;
``main`` turns user errors into one line and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from sim.errors import TrustsimError

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
                 "discover_commands"):
        try:
            importlib.import_module(f"sim.cli.{name}")
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name != f"sim.cli.{name}":
                raise


def main() -> None:
    """Entry point of the ``trustsim`` script."""
    _register()
    try:
        code = app(standalone_mode=False)  # Typer returns Ctrl-C (130) and Exit(n) as n
    except TrustsimError as exc:
        print(f"trustsim: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("trustsim: interrupted; finished runs are kept on disk", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            print("trustsim: interrupted", file=sys.stderr)
            sys.exit(130)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
