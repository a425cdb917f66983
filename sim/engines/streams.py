"""The compiled engine's random numbers: one xoshiro256++ stream per week of a run, and the
counts the week needs (Bernoulli trials, Poisson and binomial counts, the next success in
a row of trials) drawn from it.

Every draw of a week comes from this one stream, seeded from the run's own generator, so
a run's numbers depend on its seed alone. The count samplers are exact in distribution (up
to floating point), and tests/engines/test_streams.py checks each against scipy's:
Poisson counts by inversion below a mean of 10 and by transformed rejection above
(Hörmann 1993, 'The transformed rejection method for generating Poisson random
variables'), as numpy draws them; binomial counts trial by trial for a few trials, then as
numpy draws them, by inversion below a mean of 30 and by BTPE above (Kachitvichyanukul &
Schmeiser 1988, 'Binomial random variate generation'). The functions are inlined into the
loops that call them (``register_jitable``), so they add no call and no cache of their
own.
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable as jitable

_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53: the top 53 bits as a double in [0, 1)
FEW_TRIALS = 8  # binomial counts of up to this many trials are drawn trial by trial


@jitable
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jitable
def next_uniform(x):
    """xoshiro256++ (Blackman & Vigna 2021, 'Scrambled linear pseudorandom number
    generators') on a state held as a tuple of four uint64, in registers inside a loop: a
    uniform in [0, 1) and the next state."""
    s0, s1, s2, s3 = x
    out = _rotl(s0 + s3, 23) + s0
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return (out >> np.uint64(11)) * _TO_UNIT, (s0, s1, s2, _rotl(s3, 45))


@jitable
def load(stream):
    """The state of ``stream`` (an array of 4 uint64) as a tuple, for ``next_uniform``."""
    return (stream[0], stream[1], stream[2], stream[3])


@jitable
def store(stream, x):
    stream[0], stream[1], stream[2], stream[3] = x


@jitable
def uniform(stream):
    """A uniform in [0, 1) from ``stream``: each costs about a tenth of a draw from numba's
    Mersenne Twister."""
    u, x = next_uniform(load(stream))
    store(stream, x)
    return u


@jitable
def next_success(x, after, log_failure):
    """The position of the next success after position ``after`` in a row of independent
    trials whose chance of failure has the logarithm ``log_failure`` (< 0), as a float
    (it may lie past the row's end), and the next state: the failures before a success
    are geometric, so a row of rare events costs one draw per event, not one per trial."""
    u, x = next_uniform(x)
    return after + 1.0 + math.floor(math.log1p(-u) / log_failure), x


# --- Poisson counts ---------------------------------------------------------------------------


@jitable
def _poisson_inversion(stream, mean, none):
    """Sequential search of the cumulative distribution (Devroye 1986, 'Non-uniform random
    variate generation', X.3.3), from ``none`` = exp(-mean); a draw that runs past 10
    standard deviations (rounding in the tail) starts again, as numpy's binomial inversion
    does."""
    while True:
        k, p, u = 0, none, uniform(stream)
        while u > p:
            u -= p
            k += 1
            p *= mean / k
            if k > 10 and k > mean + 10.0 * math.sqrt(mean) + 10.0:
                break
        else:
            return k


@jitable
def _poisson_ptrs(stream, mean):
    """Transformed rejection with squeeze (PTRS; Hörmann 1993), as numpy draws means of 10
    and more."""
    slam, loglam = math.sqrt(mean), math.log(mean)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_invalpha = math.log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = uniform(stream) - 0.5
        v = uniform(stream)
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + mean + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + log_invalpha - math.log(a / (us * us) + b)
                <= -mean + k * loglam - math.lgamma(k + 1)):
            return int(k)


@jitable
def poisson(stream, mean):
    """A Poisson count with mean ``mean`` (0 for a mean of 0 or less)."""
    return poisson_given(stream, mean, math.exp(-mean) if 0.0 < mean < 10.0 else 0.0)


@jitable
def poisson_given(stream, mean, none):
    """``poisson``, given ``none`` = exp(-mean), the chance of a count of 0, for a loop
    that draws many counts with the same mean (only means below 10 read it)."""
    if mean <= 0.0:
        return 0
    if mean < 10.0:
        return _poisson_inversion(stream, mean, none)
    return _poisson_ptrs(stream, mean)


# --- binomial counts --------------------------------------------------------------------------


@jitable
def _binomial_inversion(stream, n, p):
    """numpy's inversion for binomial means below 30 (random_binomial_inversion)."""
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    bound = min(n, n * p + 10.0 * math.sqrt(n * p * q + 1))
    while True:
        k, px, u = 0, qn, uniform(stream)
        while u > px and k <= bound:
            u -= px
            k += 1
            px = (n - k + 1) * p * px / (k * q)
        if k <= bound:
            return k


@jitable
def _stirling_tail(x):
    """The Stirling series' correction term of log x! (BTPE's final acceptance test)."""
    x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


@jitable
def _binomial_btpe(stream, n, r):
    """BTPE (Kachitvichyanukul & Schmeiser 1988) for binomial means of 30 and more, with
    ``r`` <= 1/2: a triangle, two parallelograms and two exponential tails bound the
    distribution; most draws are accepted in the triangle at once."""
    q = 1.0 - r
    fm = n * r + r
    m = int(math.floor(fm))
    p1 = math.floor(2.195 * math.sqrt(n * r * q) - 4.6 * q) + 0.5
    xm = m + 0.5
    xl, xr = xm - p1, xm + p1
    c = 0.134 + 20.5 / (15.3 + m)
    a = (fm - xl) / (fm - xl * r)
    laml = a * (1.0 + a / 2.0)
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + a / 2.0)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    nrq = n * r * q
    while True:
        u = uniform(stream) * p4
        v = uniform(stream)
        if u <= p1:  # the triangle: accepted at once
            return int(math.floor(xm - p1 * v + u))
        if u <= p2:  # the parallelograms
            x = xl + (u - p1) / c
            v = v * c + 1.0 - abs(m - x + 0.5) / p1
            if v > 1.0:
                continue
            y = int(math.floor(x))
        elif u <= p3:  # the left tail
            y = int(math.floor(xl + math.log(v) / laml))
            if y < 0 or v == 0.0:
                continue
            v = v * (u - p2) * laml
        else:  # the right tail
            y = int(math.floor(xr - math.log(v) / lamr))
            if y > n or v == 0.0:
                continue
            v = v * (u - p3) * lamr
        k = abs(y - m)
        if k <= 20 or k >= nrq / 2.0 - 1:  # f(y) / f(m) evaluated term by term
            s = r / q
            a = s * (n + 1)
            f = 1.0
            if m < y:
                for i in range(m + 1, y + 1):
                    f *= a / i - s
            elif m > y:
                for i in range(y + 1, m + 1):
                    f /= a / i - s
            if v <= f:
                return y
            continue
        rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5)
        t = -k * k / (2.0 * nrq)
        log_v = math.log(v)
        if log_v < t - rho:  # squeezed in
            return y
        if log_v > t + rho:  # squeezed out
            continue
        x1, f1, z, w = y + 1.0, m + 1.0, n + 1.0 - m, n - y + 1.0
        if log_v <= (xm * math.log(f1 / x1) + (n - m + 0.5) * math.log(z / w)
                     + (y - m) * math.log(w * r / (x1 * q)) + _stirling_tail(f1)
                     + _stirling_tail(z) + _stirling_tail(x1) + _stirling_tail(w)):
            return y


@jitable
def binomial(stream, n, p):
    """A binomial count of ``n`` trials with chance ``p`` each: a few trials one by one,
    more by numpy's choice of method on the smaller of p and 1 - p."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n <= FEW_TRIALS:  # each trial drawn: cheaper than a logarithm and an exponential
        k = 0
        for _ in range(n):
            k += uniform(stream) < p
        return k
    r = min(p, 1.0 - p)
    k = _binomial_inversion(stream, n, r) if n * r < 30.0 else _binomial_btpe(stream, n, r)
    return k if p <= 0.5 else n - k
