"""Partnership networks: how ties are drawn and deduplicated, and the component labels
brokering uses to find bridges."""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.network import _unique_rows, components, undirected_pairs


def test_components_are_the_connected_components_networkx_finds():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 15))
        src, dst = rng.integers(0, n, size=(2, int(rng.integers(0, 30))))
        label = components(n, src, dst)
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
        found = nx.connected_components(g)
        assert sorted(sorted(np.flatnonzero(label == x)) for x in set(label)) == \
            sorted(sorted(c) for c in found)


def test_unique_rows_are_numpys_unique_rows():
    """The partnership ties' order (their rows) must not change with how pairs are
    deduplicated."""
    rng = np.random.default_rng(0)
    for n, m in ((1, 0), (2, 3), (12, 20), (40, 200)):
        pairs = np.sort(rng.integers(0, n, (m, 2)), axis=1)
        expected = np.unique(pairs, axis=0)
        got = _unique_rows(pairs)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def test_random_network_takes_one_draw_of_the_runs_generator():
    for density in (0.0, 0.3, 1.0):
        rng, again = np.random.default_rng(7), np.random.default_rng(7)
        pairs = undirected_pairs("random", 12, rng, density=density)
        graph = nx.fast_gnp_random_graph(12, density, seed=int(again.integers(2**31 - 1)))
        expected = np.unique(np.sort(np.array(list(graph.edges()), dtype=int).reshape(-1, 2),
                                     axis=1), axis=0)
        assert pairs.dtype == expected.dtype
        np.testing.assert_array_equal(pairs, expected)
        assert rng.random() == again.random()
