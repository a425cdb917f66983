"""Forgetting: evidence on every tie fades each week, open violations alike
('collaboratives need to pay constant attention to their partnerships', 'Relationships'
TA brief; rules.forget)."""

from __future__ import annotations

from numba.extending import register_jitable as jitable

from sim import rules as R
from sim.jit import kernel
from sim.phases import bundles
from sim.world import World


@jitable(error_model="numpy")
def forget(t, n, factor):
    """The first ``n`` ties of one kind fade by ``factor`` (the forgetting parameter):
    one flat pass over each evidence array, which the compiler runs several values at a
    time (rows are C-ordered, three dimensions each). Not a ``unit`` kernel: the flat
    views need reference counts, and they cost little once a phase."""
    r, s, s_open = t.r.reshape(-1), t.s.reshape(-1), t.s_open.reshape(-1)
    for i in range(3 * n):
        r[i], s[i] = R.forget(r[i], s[i], factor)
    for i in range(3 * n):
        s_open[i] *= factor


@kernel
def _forget(t, n, factor):
    forget(t, n, factor)


def apply(w: World) -> None:
    for ties in w.state.ties.values():
        _forget(bundles.ties(ties), len(ties), w.p.forgetting)
