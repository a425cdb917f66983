"""Partnership networks: the component labels brokering uses to find bridges."""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.network import components


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
