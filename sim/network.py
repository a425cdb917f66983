"""The agency-agency partnership network at the start of a run (ODD 5).

Structures a user can choose with ``partnership_network``: random (Erdos-Renyi 1959),
small_world (Watts & Strogatz 1998), scale_free (Barabasi & Albert 1999), hub_and_spoke
(a lead agency tied to every other, as in a grant's lead-agency model), ring (a chain of
neighbours closed into a loop), complete, and edge_list (a real county's partnerships
from a CSV file). Generators are networkx's, which build in time linear in the ties.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def undirected_pairs(kind: str, n: int, rng: np.random.Generator, *, density: float = 0.3,
                     degree: int = 4, rewiring: float = 0.1,
                     edges: str | Path | None = None) -> np.ndarray:
    """Partnerships as an (m, 2) array of agency pairs a < b (each pair once)."""
    if n < 2:
        return np.zeros((0, 2), dtype=int)
    if kind == "edge_list":
        pairs = read_edge_list(edges, n)
    else:
        pairs = np.array(list(_graph(kind, n, rng, density, degree, rewiring).edges()),
                         dtype=int).reshape(-1, 2)
    pairs = np.sort(pairs, axis=1)
    return _unique_rows(pairs[pairs[:, 0] != pairs[:, 1]])


def _unique_rows(pairs: np.ndarray) -> np.ndarray:
    """``np.unique(pairs, axis=0)`` of (m, 2) pairs, in its order (by first, then second
    agency), at a quarter of its cost (it sorts a structured view)."""
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    new = np.ones(len(pairs), dtype=bool)
    new[1:] = (pairs[1:] != pairs[:-1]).any(axis=1)
    return pairs[new]


def _graph(kind, n, rng, density, degree, rewiring) -> nx.Graph:
    k = max(1, min(degree, n - 1))
    if kind == "random":
        return nx.fast_gnp_random_graph(n, density, seed=_seed(rng))
    if kind == "small_world":
        return nx.watts_strogatz_graph(n, max(k, 2), rewiring, seed=_seed(rng))
    if kind == "scale_free":
        return nx.barabasi_albert_graph(n, max(1, min(k // 2, n - 1)), seed=_seed(rng))
    if kind == "hub_and_spoke":
        return nx.star_graph(n - 1)
    if kind == "ring":
        return nx.watts_strogatz_graph(n, max(k, 2), 0.0) if n > 2 else nx.path_graph(n)
    if kind == "complete":
        return nx.complete_graph(n)
    raise ValueError(f"parameter 'partnership_network' = {kind!r}: unknown structure")


def read_edge_list(path: str | Path | None, n: int) -> np.ndarray:
    """Pairs from a CSV with columns source,target: agency numbers from 1 to ``n``."""
    if not path:
        raise ValueError("parameter 'partnership_edges': expected a CSV file of "
                         "source,target agency numbers when partnership_network is edge_list")
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"parameter 'partnership_edges': {p}: file not found")
    pairs = []
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"source", "target"} <= set(reader.fieldnames):
            raise ValueError(f"{p}: expected the columns source,target")
        for line, row in enumerate(reader, start=2):
            try:
                a, b = int(row["source"]), int(row["target"])
            except (TypeError, ValueError):
                raise ValueError(f"{p}, line {line}: expected whole agency numbers, got "
                                 f"{row['source']!r}, {row['target']!r}") from None
            if not (1 <= a <= n and 1 <= b <= n):
                raise ValueError(f"{p}, line {line}: agency numbers must be in [1, {n}] "
                                 f"(n_agencies), got {a}, {b}")
            pairs.append((a - 1, b - 1))
    return np.array(pairs, dtype=int).reshape(-1, 2)


def components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected-component label of each agency (for brokering that bridges groups): the
    smallest agency of its component. Compiled union-find, as brokering asks for it once
    per introduction, up to hundreds of times a run."""
    return compiled_components()(n, np.asarray(src, np.int64), np.asarray(dst, np.int64))


@cache
def compiled_components():
    """The compiled union-find, compiled (or read from the cache) on first use: commands
    that build no network (validate, list) never load numba."""
    from sim.jit import njit

    return njit(_components)


def _components(n, src, dst):
    parent = np.arange(n)
    for i in range(len(src)):
        a, b = src[i], dst[i]
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
    label = np.empty(n, np.int64)
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        label[i] = root
    return label
