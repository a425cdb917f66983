"""The condition language of ``trustsim discover --where`` (docs/discovery.md#conditions).

A condition comes from a user, an experiment file or a results folder's manifest, so it
must never run code: it is parsed with Python's ``ast`` and every node is checked against
a small grammar (column names, numbers, comparisons, ``and``/``or``/``not``, + - * / and
parentheses) before anything is evaluated, and then evaluated here over numpy arrays, not
by ``eval`` or pandas. Anything else is refused in one line naming the offending part.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import ExperimentError, show_value

#: Longer conditions are refused unread (a 4 MB one cost minutes of CPU in pandas).
MAX_LENGTH = 500
GRAMMAR = ("column names, numbers, comparisons (< <= > >= == !=), and/or/not, "
           "+ - * / and parentheses")

_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_SHORTHAND = re.compile(r"\s*(<|>|==|!=)")
_QUOTED = re.compile(r"`([^`]*)`")
_REFUSED = {ast.Call: "a function call", ast.Subscript: "a subscript",
            ast.Lambda: "a lambda", ast.IfExp: "an if-expression",
            ast.NamedExpr: "an assignment (:=)", ast.Starred: "a starred expression",
            ast.JoinedStr: "an f-string", ast.Await: "await"}


@dataclass(frozen=True)
class Condition:
    """A checked condition: its text as given, its checked tree and the columns it reads."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    def evaluate(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """True or false per row, from ``values`` (a column name to a numeric array)."""
        with np.errstate(all="ignore"):  # x / 0 is inf, nan compares false
            return np.asarray(_eval(self.tree, values), dtype=bool)


class _Refused(Exception):
    """A part of a condition outside the grammar; its message names the part."""


def parse_condition(text: object, columns: Collection[str] | None, outcome: str | None,
                    source: str | None = None, field: str | None = None) -> Condition:
    """Check ``text`` against the grammar; ``columns`` are the names it may use (None:
    any name, when they are not known yet, e.g. a table design's file). ``'< -8'`` is
    short for ``'OUTCOME < -8'``. ExperimentError (one line) on anything else."""
    example = f"expected a condition such as '{outcome or 'time_to_50_full'} < -8'"
    if not isinstance(text, str):
        raise ExperimentError(f"{example}, got {show_value(text)}", source=source, field=field)
    if len(text) > MAX_LENGTH:
        raise ExperimentError(f"the condition has {len(text):,} characters, more than the "
                              f"{MAX_LENGTH} allowed", source=source, field=field)
    expr = f"`{outcome}` {text}" if outcome and _SHORTHAND.match(text) else text
    quoted: dict[str, str] = {}
    try:
        tree = _parse(expr, quoted)
        names = _check(tree, quoted, columns)
        if _kind(tree) != "condition":
            raise _Refused("it is a number, not a condition (true or false per point)")
    except _Refused as why:
        raise ExperimentError(f"{show_value(text)}: {why}; {example} using only {GRAMMAR}",
                              source=source, field=field) from None
    return Condition(text, _resolve(tree, quoted), tuple(dict.fromkeys(names)))


def _resolve(node: ast.expr, quoted: dict[str, str]) -> ast.expr:
    """The checked tree with every column (quoted, dotted or plain) as one ``Name``
    whose id is the column's name, for ``_eval``."""
    name = _column(node, quoted)
    if name is not None:
        return ast.Name(id=name)
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            setattr(node, field, [_resolve(v, quoted) if isinstance(v, ast.expr) else v
                                  for v in value])
        elif isinstance(value, ast.expr):
            setattr(node, field, _resolve(value, quoted))
    return node


def _parse(expr: str, quoted: dict[str, str]) -> ast.expr:
    """The tree of ``expr``, backquoted names (``` `timeline.0.intensity` ```) first
    replaced by placeholders recorded in ``quoted``."""
    if "@" in expr:
        raise _Refused("'@' is not allowed")

    def placeholder(m: re.Match[str]) -> str:
        key = f"__quoted_{len(quoted)}__"
        quoted[key] = m.group(1)
        return key

    try:
        return ast.parse(_QUOTED.sub(placeholder, expr).strip(), mode="eval").body
    except SyntaxError as exc:
        raise _Refused(f"cannot parse it ({exc.msg} at character {exc.offset or '?'})"
                       ) from None
    except (RecursionError, MemoryError, ValueError):
        raise _Refused("cannot parse it (nested too deeply)") from None


def _check(node: ast.expr, quoted: dict[str, str], columns: Collection[str] | None
           ) -> list[str]:
    """The column names ``node`` reads; _Refused on any node outside the grammar."""
    name = _column(node, quoted)
    if name is not None:
        if columns is not None and name not in columns:
            raise _Refused(f"unknown name {show_value(name)} (the columns are: "
                           f"{', '.join(sorted(columns))})")
        return [name]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _Refused(f"{show_value(node.value)} is not a number")
        return []
    if isinstance(node, ast.Attribute):
        raise _Refused(f"attribute access {show_value(ast.unparse(node))} is not allowed")
    children = _children(node)
    if children is None:
        what = _REFUSED.get(type(node), f"{show_value(ast.unparse(node))}")
        raise _Refused(f"{what} is not allowed")
    return [n for child in children for n in _check(child, quoted, columns)]


def _column(node: ast.expr, quoted: dict[str, str]) -> str | None:
    """The column a name, a backquoted name or a dotted path (``a.b.c``) stands for."""
    if isinstance(node, ast.Name):
        return quoted.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        head = _column(node.value, quoted) if isinstance(node.value, ast.Name | ast.Attribute) \
            else None
        return f"{head}.{node.attr}" if head is not None else None
    return None


def _children(node: ast.expr) -> list[ast.expr] | None:
    """The operands of an allowed operator node; None for any other node."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And | ast.Or):
        return node.values
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise _Refused(f"the operator in {show_value(ast.unparse(node))} is not allowed "
                           "(for 'both' and 'either' write and, or)")
        return [node.left, node.right]
    if isinstance(node, ast.Compare):
        bad = [op for op in node.ops if type(op) not in _COMPARE]
        if bad:
            raise _Refused(f"the comparison in {show_value(ast.unparse(node))} is not allowed")
        return [node.left, *node.comparators]
    return None


def _kind(node: ast.expr) -> str:
    """'condition' or 'number'; _Refused where one is used in place of the other."""
    if isinstance(node, ast.Compare):
        _operands(node, [node.left, *node.comparators], "number")
        return "condition"
    if isinstance(node, ast.BoolOp) or (isinstance(node, ast.UnaryOp)
                                        and isinstance(node.op, ast.Not)):
        _operands(node, node.values if isinstance(node, ast.BoolOp) else [node.operand],
                  "condition")
        return "condition"
    if isinstance(node, ast.UnaryOp):
        _operands(node, [node.operand], "number")
    elif isinstance(node, ast.BinOp):
        _operands(node, [node.left, node.right], "number")
    return "number"


def _operands(node: ast.expr, operands: list[ast.expr], want: str) -> None:
    for child in operands:
        if _kind(child) != want:
            raise _Refused(f"{show_value(ast.unparse(node))} uses a {_kind(child)} where a "
                           f"{want} is expected")


def _eval(node: ast.expr, values: Mapping[str, np.ndarray]):
    """The value of a checked tree (numbers and columns as numpy arrays)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return np.asarray(values[node.id], dtype=float)
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = _eval(node.values[0], values)
        for child in node.values[1:]:
            out = combine(out, _eval(child, values))
        return out
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, values)
        return np.logical_not(inner) if isinstance(node.op, ast.Not) else \
            _UNARY[type(node.op)](inner)
    if isinstance(node, ast.BinOp):
        return _ARITH[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    left, out = _eval(node.left, values), True
    for op, comp in zip(node.ops, node.comparators, strict=True):
        right = _eval(comp, values)
        out = np.logical_and(out, _COMPARE[type(op)](left, right))
        left = right
    return out
