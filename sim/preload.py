"""Imported by the workers' forkserver (``sim.workerpool.PRELOAD``) to load the compiled
engine's code there once: every worker forked from the server then starts with it
loaded, instead of each loading it from the cache (about a second) before its first run.
Whatever goes wrong here is left for the workers to meet and report in their runs."""

import contextlib

with contextlib.suppress(Exception):
    from sim.runs import warm_up

    warm_up()
