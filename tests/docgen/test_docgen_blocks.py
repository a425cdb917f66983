"""Generated blocks: read and written between their markers; the cheap ones (computed
from the experiment files) match the docs, and a changed experiment makes them stale."""

import shutil
from pathlib import Path

import pytest
import yaml

from sim.docgen.__main__ import doc_files, stale
from sim.docgen.blocks import read_blocks, write_block
from sim.docgen.sizes import size_of
from sim.errors import TrustsimError

ROOT = Path(__file__).resolve().parents[2]
TEXT = "intro\n<!-- generated:a -->\nold\n<!-- /generated -->\nafter\n"


def test_a_block_is_replaced_between_its_markers_only():
    new = write_block(TEXT, "a", "new text\n")
    assert new == "intro\n<!-- generated:a -->\nnew text\n<!-- /generated -->\nafter\n"
    assert read_blocks(new) == {"a": "new text"}


def test_unclosed_duplicate_or_missing_blocks_are_one_line_errors():
    with pytest.raises(TrustsimError, match="no <!-- /generated -->"):
        read_blocks("<!-- generated:a -->\ntext\n", "x.md")
    with pytest.raises(TrustsimError, match="appears twice"):
        read_blocks(TEXT + TEXT, "x.md")
    with pytest.raises(TrustsimError, match="no block 'b'"):
        write_block(TEXT, "b", "x", "x.md")


def test_the_sizes_the_docs_quote_are_what_the_experiment_files_plan():
    assert stale(ROOT) == []


def test_sizes_are_computed_not_copied():
    size = size_of(ROOT / "experiments" / "morris_screening.yaml")
    spec = yaml.safe_load((ROOT / "experiments" / "morris_screening.yaml").read_text())
    # Morris: r trajectories x (D + 1) points (SALib), one replicate
    assert size.points == spec["samples"] * (len(spec["parameters"]) + 1)
    assert size.runs == size.points * spec.get("replicates", 1)


def test_a_changed_experiment_makes_its_blocks_stale(tmp_path):
    for name in ("experiments", "scenarios", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    assert [p.name for p in doc_files(tmp_path)][0] == "README.md"
    assert stale(tmp_path) == []
    path = tmp_path / "experiments" / "co_creation_wins.yaml"
    path.write_text(path.read_text().replace("samples: 48", "samples: 64"))
    found = stale(tmp_path)
    assert sorted(f.split(":")[0].split(" ")[0] for f in found) == [
        "discovery-design", "experiment-sizes"]


@pytest.mark.slow
def test_the_discovery_results_the_docs_quote_are_what_the_model_gives_today():
    """Runs the shipped discovery sweep (192 runs), discover and analyze as make docs
    does; the sweep is seeded, so the same code gives the same text."""
    from sim.docgen.measure import measure

    fresh = measure(ROOT, workers=2, only={"discovery-results", "pawn-example"})
    quoted = {}
    for path in doc_files(ROOT):
        quoted.update(read_blocks(path.read_text(encoding="utf-8"), str(path)))
    for name, body in fresh.items():
        assert quoted[name] == body, f"{name} is out of date: run make docs"
