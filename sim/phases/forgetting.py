"""Forgetting: evidence on every tie fades each week, open violations alike
('collaboratives need to pay constant attention to their partnerships', 'Relationships'
TA brief; rules.forget)."""

from __future__ import annotations

from numba.extending import register_jitable as jitable

from sim import rules as R
from sim.jit import kernel
from sim.phases import bundles
from sim.world import World


@jitable
def forget_tie(t, i, factor):
    """One tie's evidence fades by ``factor`` (the forgetting parameter)."""
    for d in range(3):
        t.r[i, d], t.s[i, d] = R.forget(t.r[i, d], t.s[i, d], factor)
        t.s_open[i, d] *= factor


@kernel
def forget(t, n, factor):
    """The first ``n`` ties of one kind."""
    for i in range(n):
        forget_tie(t, i, factor)


def apply(w: World) -> None:
    for ties in w.state.ties.values():
        forget(bundles.ties(ties), len(ties), w.p.forgetting)
