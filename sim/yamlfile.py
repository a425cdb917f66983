"""Read a user's YAML file (scenario or experiment) without trusting it.

A file is read only if it is a small UTF-8 text file; keys may not repeat in a mapping;
numbers with an exponent (``1e-3``, ``2E5``) are numbers as in YAML 1.2, not strings as
in PyYAML's YAML 1.1; and the document's size *after* aliases are expanded is measured on
the parsed node graph, before any Python object is built, so an alias bomb ("billion
laughs") or a self-referring alias is refused in time linear in the file's length.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import TrustsimError

#: Largest file read (a scenario or experiment is a few KiB).
MAX_BYTES = 1 << 20
#: Most values (scalars, lists, mappings) a document may expand to, aliases included.
MAX_VALUES = 100_000
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 50

_EXPONENT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")


def display_path(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(p)


class Loader(yaml.SafeLoader):
    """SafeLoader with unique keys and YAML 1.2 exponent numbers."""

    yaml_implicit_resolvers = {k: list(v) for k, v in
                               yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' merges a mapping; explicit keys may override it
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class refuses it, naming the line
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT, list("-+0123456789."))


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.mark = node.start_mark


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int], depth: int) -> int:
    """How many values ``node`` stands for once every alias is expanded (memoised per
    node, so a document of n nodes costs O(n) however much it would expand to)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise _TooBig("an alias refers to itself (a value that contains itself)", node)
    if depth > MAX_DEPTH:
        raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", node)
    active.add(key)
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    else:
        children = []
    total = 1
    for child in children:
        total += _expanded_size(child, memo, active, depth + 1)
        if total > MAX_VALUES:
            raise _TooBig(f"expands to more than {MAX_VALUES:,} values (aliases expanded)",
                          node)
    active.discard(key)
    memo[key] = total
    return total


def _where(mark: Any) -> str | None:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None


def _parse(text: str) -> Any:
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set(), 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _text(path: Path, error: type[TrustsimError], shown: str) -> str:
    if not path.is_file():
        if path.is_dir():
            raise error("is a folder; expected a YAML file", source=shown)
        raise error("file not found" if not path.exists() else "not a regular file",
                    source=shown)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(f"is {size / 2**20:.1f} MiB; expected a YAML file under "
                        f"{MAX_BYTES / 2**20:g} MiB", source=shown)
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                    f"{exc.start}); expected a YAML file", source=shown) from None
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror})", source=shown) from None


def read_mapping(path: Path, error: type[TrustsimError], what: str) -> dict[str, Any]:
    """The top-level mapping of a YAML file; ``error`` (one line naming the file and,
    for syntax errors, the line and column) on anything else."""
    shown = display_path(path)
    text = _text(path, error, shown)
    try:
        data = _parse(text)
    except _TooBig as exc:
        raise error(f"refused: the document {exc}", source=shown, field=_where(exc.mark)) from None
    except RecursionError:
        raise error(f"refused: the document is nested more than {MAX_DEPTH} levels deep",
                    source=shown) from None
    except yaml.MarkedYAMLError as exc:
        problem = " ".join(str(exc.problem or exc).split())
        raise error(f"YAML syntax error: {problem}", source=shown,
                    field=_where(exc.problem_mark or exc.context_mark)) from None
    except yaml.YAMLError as exc:
        raise error(f"cannot read YAML: {' '.join(str(exc).split())}", source=shown) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise error(f"expected a mapping of {what} fields, got {got}", source=shown)
    return data
