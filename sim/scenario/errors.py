"""Turn pydantic and model validation errors into one-line ``ScenarioError``s.

Each message names the file that set the offending value (which may be a file reached
through ``extends``), the field path, what was expected and, for unknown keys, the
closest valid key.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError, show_value
from sim.parameters import PARAMETERS
from sim.scenario.schema import PATTERN_WORDS, ScenarioSpec, section_of
from sim.yamlfile import display_path

__all__ = ["display_path", "format_error", "from_model_error", "from_validation_error",
           "source_of"]

#: Where each value of a merged scenario came from: key path -> file (or "command line").
Provenance = dict[tuple, str]


def source_of(loc: tuple, prov: Provenance, default: str) -> str:
    """The file that set the value at ``loc`` (longest matching key prefix)."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in prov:
            return prov[loc[:n]]
    return default


def _unwrap(ann: Any) -> Any:
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _members(ann: Any) -> list[Any]:
    ann = _unwrap(ann)
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(ann) if a is not type(None)]
    return [ann]


def _step(ann: Any, part: Any) -> tuple[Any, bool]:
    """The annotation one key below ``ann`` and whether ``part`` is a union tag."""
    for member in _members(ann):
        if isinstance(member, type) and issubclass(member, BaseModel):
            if part in member.model_fields:
                return member.model_fields[part].annotation, False
            kind = member.model_fields.get("kind")
            if kind is not None and kind.default == part:
                return member, True
        origin = typing.get_origin(member)
        if origin is dict:
            return typing.get_args(member)[1], False
        if origin is list and isinstance(part, int):
            return typing.get_args(member)[0], False
    return None, False


def _walk(loc: tuple) -> tuple[Any, str]:
    """The annotation at ``loc`` and the dotted path a user reads (union tags dropped)."""
    ann: Any = ScenarioSpec
    shown: list[str] = []
    for part in loc:
        ann, is_tag = _step(ann, part) if ann is not None else (None, False)
        if not is_tag:
            shown.append(str(part))
    return ann, ".".join(shown)


def _keys_of(ann: Any) -> list[str]:
    for member in _members(ann):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return list(member.model_fields)
    return []


def _unknown_key(key: str, parent_loc: tuple) -> str:
    valid = _keys_of(_walk(parent_loc)[0])
    if key in PARAMETERS and key not in valid:
        section = section_of(key)
        where = f"under '{section}:'" if section else "at the top level of the scenario"
        return f"'{key}' does not belong here; set it {where}"
    hits = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    if hits:
        return f"unknown key (did you mean '{hits[0]}'?)"
    listed = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
    return f"unknown key; expected one of: {listed}"


_BOUNDS = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
           "less_than": "<"}


def _expected(err: dict[str, Any]) -> str:
    """What the field expects, in words."""
    loc, kind, ctx = err["loc"], err["type"], err.get("ctx", {})
    name = loc[-1] if loc else ""
    if (isinstance(name, str) and name in PARAMETERS and PARAMETERS[name].kind != "structured"
            and (len(loc) == 1 or loc[0] in ("population", "parameters", "arms"))):
        return PARAMETERS[name].describe_range()
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()))
        return f"a value {_BOUNDS[kind]} {bound}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_WORDS:
        return PATTERN_WORDS[ctx["pattern"]]
    if kind == "too_short":
        return f"at least {ctx.get('min_length', 1)} item(s)"
    msg = err["msg"]
    for prefix in ("Input should be ", "Value should be ", "String should "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg[0].lower() + msg[1:]


def format_error(err: dict[str, Any]) -> tuple[tuple, str, str]:
    """(raw loc, shown field path, message) for one pydantic error."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = loc[:-1]
        return loc, _walk(loc)[1], _unknown_key(str(loc[-1]), parent)
    shown = _walk(loc)[1]
    if kind == "missing":
        return loc, shown, "required field is missing"
    if kind == "union_tag_invalid":
        from sim.timeline import EVENT_KINDS

        tag = err.get("ctx", {}).get("tag", "")
        hits = difflib.get_close_matches(str(tag), EVENT_KINDS, n=1, cutoff=0.5)
        hint = f" (did you mean '{hits[0]}'?)" if hits else ""
        return loc, f"{shown}.kind", (f"unknown event kind '{tag}'{hint}; expected one of: "
                                      + ", ".join(EVENT_KINDS))
    if kind == "union_tag_not_found":
        from sim.timeline import EVENT_KINDS

        return loc, f"{shown}.kind", "missing 'kind'; expected one of: " + ", ".join(EVENT_KINDS)
    if kind == "too_short" and loc == ("arms",):
        return loc, shown, ("expected at least one arm (a name and its parameter overrides, "
                            "e.g. 'top_down: {strategy_mix: 0.0}')")
    return loc, shown, f"expected {_expected(err)}, got {show_value(err.get('input'))}"


def from_validation_error(exc: ValidationError, prov: Provenance, default: str) -> ScenarioError:
    """The first problem of a pydantic error as a one-line ScenarioError."""
    errors = exc.errors()
    loc, shown, message = format_error(errors[0])
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})"
    return ScenarioError(message, source=source_of(loc, prov, default), field=shown or None)


# "parameter 'a.b' = 7: expected ...", "parameter 'a.0'.name: expected ..."
_PARAM_MESSAGE = re.compile(r"^parameter '([^']+)'((?:\.\w+)*)\s*(.*)$", re.DOTALL)


def from_model_error(exc: ValueError, arm: str, arm_keys: set[str], prov: Provenance,
                     default: str) -> ScenarioError:
    """A ValueError of ``sim.config.check_params`` placed at its field in the scenario."""
    text = " ".join(str(exc).split())
    match = _PARAM_MESSAGE.match(text)
    if not match:
        return ScenarioError(text, source=default, field=f"arms.{arm}")
    quoted, tail, rest = match.groups()
    path = quoted + tail
    head = path.split(".")[0]
    if head in arm_keys:
        loc: tuple = ("arms", arm, *path.split("."))
    else:
        section = section_of(head) if head in PARAMETERS else "parameters"
        loc = tuple(x for x in (section, *path.split(".")) if x)
        if section == head:
            loc = tuple(path.split("."))
    loc = tuple(int(x) if isinstance(x, str) and x.isdigit() else x for x in loc)
    return ScenarioError(_model_message(rest), source=source_of(loc, prov, default),
                         field=".".join(str(x) for x in loc))


def _model_message(rest: str) -> str:
    """"= 7.0: expected ..." -> "expected ..., got 7.0"; "Input should be" -> "expected"."""
    if rest.startswith("="):
        value, _, why = rest[1:].partition(":")
        return f"{why.strip() or 'invalid value'}, got {value.strip()}"
    why = rest.lstrip(": ").strip()
    for prefix in ("Input should be ", "Value should be "):
        if why.startswith(prefix):
            why = "expected " + why[len(prefix):]
    return why or "invalid value"
