"""Forgetting: evidence on every tie fades each week, open violations alike
('collaboratives need to pay constant attention to their partnerships', 'Relationships'
TA brief; rules.forget)."""

from __future__ import annotations

from sim import rules as R
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.world import World


@unit
def forget(t, n, factor):
    """The first ``n`` ties of one kind fade by ``factor`` (the forgetting parameter)."""
    r, s, s_open = t.r, t.s, t.s_open
    for i in range(n):
        for d in range(3):
            r[i, d], s[i, d] = R.forget(r[i, d], s[i, d], factor)
            s_open[i, d] *= factor


@kernel
def _forget(t, n, factor):
    forget(t, n, factor)


def apply(w: World) -> None:
    for ties in w.state.ties.values():
        _forget(bundles.ties(ties), len(ties), w.p.forgetting)
