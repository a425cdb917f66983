"""The trainers' live dashboard: watch trust let a system pivot, on a projector.

``trustsim app [SCENARIO]`` starts it (Solara behind ``sim.dashboard.access.Guard``; the
scenario comes in ``TRUSTSIM_APP_SCENARIO``). One screen at 1280x720 or larger, no
scrolling: the status line, one row of controls (☰ for the sidebar, Play, Step, Reset,
Crisis now, Switch strategy now, Save; keys in ``sim.dashboard.keys``), the captions in a
fixed-height strip and four panels; the sidebar holds the scenario, the settings Reset
applies, the speed and the scenario's workshop note. Compare mode runs two worlds in
lockstep with the same seed (two arms, or one arm with and without a shared history) so
a room sees the same crisis hit both at the same moment, and draws their adoption and
reach on shared axes.

Live actions go through ``model.add_event`` so they land on the model's timeline, and
"Save" writes the run's figures and a scenario file that replays it (``trustsim run``).
Bad input never shows a traceback: out-of-range values are refused with a message and a
scenario that fails validation shows the command line's one-line error. Everything on
the page is text (no HTML from data); see ``sim.dashboard.access`` for what it exposes.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import yaml

from sim.animate import (
    COMPARE_COLUMNS,
    PANELS,
    draw_compare,
    draw_panel,
    figure_png,
    live_frame,
    live_panel,
    model_events,
    replicate_seed,
    run_weeks,
)
from sim.dashboard.access import (
    DIRS_ENV,
    REPO_SCENARIOS,
    TOKEN_ENV,
    refusal,
    served_dirs,
    served_file,
)
from sim.dashboard.keys import SHORTCUT_HELP, Shortcuts
from sim.dashboard.story import (
    arm_label,
    captions,
    crisis_at,
    crisis_end,
    mix_at,
    mix_label,
    status_line,
    title_of,
)
from sim.errors import TrustsimError
from sim.model import TrustModel
from sim.parameters import PARAMETERS, check_value
from sim.scenario.loader import Scenario, load_scenario
from sim.timeline import parse_timeline

__all__ = ["DIRS_ENV", "REPO_SCENARIOS", "TOKEN_ENV", "captions", "crisis_at", "mix_at",
           "status_line"]

SCENARIO_ENV = "TRUSTSIM_APP_SCENARIO"
SAVE_DIR_ENV = "TRUSTSIM_APP_SAVE_DIR"
ARM_ENV = "TRUSTSIM_APP_ARM"
DEFAULT_SCENARIO = "scenarios/covid_pivot.yaml"

#: A crisis for "Crisis now" when the scenario scripts none (COVID-style: high, about a year).
DEFAULT_CRISIS = {"intensity": 0.9, "duration": 52}
#: Compare mode "with and without a shared history": positive experiences already on the
#: agency-ISP and partnership ties of the trusting world (covid_pivot.yaml suggests 20).
HISTORY = {"established_evidence": 20.0}
SPEED = (1, 20, 8)  # weeks a second while playing: slowest, fastest, at start


# --- the trainers' knobs -------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """A dashboard control and its range (the ranges researchers and trainers move)."""

    name: str
    label: str
    low: float
    high: float
    step: float
    integer: bool = False
    crisis: bool = False  # shown only when the arm scripts a crisis


KNOBS = (
    Knob("strategy_mix", "ISPs' strategy", 0.0, 1.0, 0.05),
    Knob("crisis_peak", "Scripted crisis: intensity", 0.0, 1.0, 0.05, crisis=True),
    Knob("crisis_weeks", "Scripted crisis: weeks", 4, 104, 1, integer=True, crisis=True),
    Knob("turnover_per_year", "Staff turnover per year", 0.1, 0.6, 0.05),
    Knob("isp_hours", "ISP hours per week", 5, 40, 1),
    Knob("low_trust_prior", "Prior trust of the low-trust families", 0.1, 0.9, 0.05),
)
KNOB = {k.name: k for k in KNOBS}
PARAM_KNOBS = tuple(k.name for k in KNOBS if k.name in PARAMETERS)  # set by name
FIELDS = ("seed", "weeks")  # typed in, so they can be out of range


def first_crisis(timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in timeline if e.get("kind") == "crisis"), None)


def low_trust_group(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The family group whose prior trust in agencies is lowest (Metz 2024)."""
    return min(groups, key=lambda g: g["prior_trust"])


def arm_knobs(params: dict[str, Any]) -> dict[str, float]:
    """The knob values a scenario arm implies, so the sliders start where the file is."""
    crisis = first_crisis(params.get("timeline", [])) or DEFAULT_CRISIS
    groups = params.get("family_groups") or PARAMETERS["family_groups"].default
    value = {n: params.get(n, PARAMETERS[n].default) for n in PARAM_KNOBS}
    return {**value, "crisis_peak": crisis["intensity"], "crisis_weeks": crisis["duration"],
            "low_trust_prior": low_trust_group(groups)["prior_trust"]}


def knob_range(knob: Knob, start: float) -> tuple[float, float]:
    """The trainers' range, widened to include the scenario's own value."""
    return min(knob.low, start), max(knob.high, start)


def check_knob(name: str, value: Any, start: float | None = None) -> float:
    """``value`` as a number in the knob's range (widened to the scenario's ``start``
    value), or ValueError saying what was expected."""
    knob = KNOB[name]
    low, high = knob_range(knob, knob.low if start is None else start)
    kind = "a whole number" if knob.integer else "a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high or (knob.integer and number != int(number)):
        raise ValueError(f"{knob.label} = {value!r}: expected {kind} in [{low:g}, {high:g}]")
    return int(number) if knob.integer else number


def last_event(params: dict[str, Any]) -> tuple[str, int] | None:
    """The kind and week of an arm's latest scripted event: a run must reach it."""
    events = parse_timeline(params.get("timeline", []))
    last = max(events, key=lambda e: e.start(), default=None)
    return (last.kind, last.start()) if last else None


def check_field(name: str, value: Any, last: tuple[str, int] | None = None) -> int:
    """A typed-in seed or run length, checked like the scenario file checks it; ``last``
    (kind, week): the scripted event the run must reach."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if name == "seed":
        if number is None or not 0 <= number <= 2**63 - 1:
            raise ValueError(f"Seed = {text!r}: expected a whole number >= 0")
        return number
    try:
        number = check_value("weeks", number)
    except ValueError:
        raise ValueError(f"Weeks = {text!r}: expected "
                         f"{PARAMETERS['weeks'].describe_range()}") from None
    if last and number < last[1]:
        raise ValueError(f"Weeks = {text!r}: expected at least {last[1]} (the scenario's "
                         f"{last[0].replace('_', ' ')} event starts in week {last[1]})")
    return number


def apply_knobs(params: dict[str, Any], knobs: dict[str, float]) -> dict[str, Any]:
    """An arm's model parameters with the trainer's knob values put in their places."""
    out = copy.deepcopy(params)
    for name in PARAM_KNOBS:
        out[name] = knobs[name]
    crisis = first_crisis(out.get("timeline", []))
    if crisis is not None:
        crisis["intensity"] = knobs["crisis_peak"]
        crisis["duration"] = int(knobs["crisis_weeks"])
    groups = copy.deepcopy(out.get("family_groups") or PARAMETERS["family_groups"].default)
    low_trust_group(groups)["prior_trust"] = knobs["low_trust_prior"]
    out["family_groups"] = groups
    return out


def start_values(scenario: Scenario, arm: str) -> dict[str, Any]:
    """The knob and field values a scenario arm starts with."""
    return {**arm_knobs(scenario.arm_params(arm)), "seed": scenario.seed,
            "weeks": scenario.weeks}


def settle_inputs(scenario: Scenario, arm: str, given: dict[str, Any]
                  ) -> tuple[dict[str, Any], list[str]]:
    """The knob and field values to run with, and one message per refused value.

    A refused value is replaced by the scenario's own, so the model always builds.
    """
    start = start_values(scenario, arm)
    last = last_event(scenario.arm_params(arm))
    values, refused = dict(start), []
    for name, value in given.items():
        if value is None:
            continue
        try:
            values[name] = (check_field(name, value, last) if name in FIELDS
                            else check_knob(name, value, start[name]))
        except ValueError as exc:
            refused.append(f"Refused {exc}; kept {start[name]!r}")
    return values, refused


class WorkshopModel(TrustModel):
    """TrustModel built from a scenario arm plus the trainer's knobs.

    ``overrides`` are further model parameters (compare mode's shared history);
    ``refused`` lists the values that were out of range, ``label`` names the world.
    """

    def __init__(self, scenario_file: str = DEFAULT_SCENARIO, arm: str | None = None,
                 seed: Any = None, weeks: Any = None, overrides: dict | None = None,
                 label: str = "", **knobs: Any):
        spec, self.scenario_error = scenario_for_reset(scenario_file)
        self.scenario_spec = spec
        self.arm = arm if arm in spec.arms else spec.arms[0]
        values, self.refused = settle_inputs(spec, self.arm,
                                             {"seed": seed, "weeks": weeks, **knobs})
        self.knobs = {k: values[k] for k in KNOB}
        self.base_seed = values["seed"]
        self.overrides = dict(overrides or {})
        self.label = label or arm_label(self.arm)
        params = {**apply_knobs(spec.arm_params(self.arm), self.knobs), **self.overrides}
        params["weeks"] = values["weeks"]
        super().__init__(rng=replicate_seed(self.base_seed), **params)


# --- live actions -----------------------------------------------------------------------


def live_crisis_event(model: Any, intensity: float, weeks: int) -> tuple[dict[str, Any], str]:
    """'Crisis now' as a timeline event from next week, and what it does in words.

    With no crisis under way it starts one at full strength next week (no ramp, so the
    panels answer at once). Inside a crisis it extends the one under way by ``weeks``
    and raises its intensity to ``intensity`` if that is higher, rather than silently
    scheduling a second one. The weeks already run stay as they were, so a saved run
    replays exactly."""
    intensity = check_knob("crisis_peak", intensity)
    duration = check_knob("crisis_weeks", weeks)
    nxt = int(model.week) + 1
    end = crisis_end(model, nxt)
    if end is None:
        event = {"kind": "crisis", "onset": nxt, "duration": duration,
                 "intensity": intensity, "ramp": 0}
        said = f"Crisis now: intensity {intensity:.2f} from week {nxt} to week {nxt + duration}"
    else:
        now = crisis_at(model, nxt)
        stronger = max(intensity, now)
        event = {"kind": "crisis", "onset": nxt, "duration": end - nxt + duration,
                 "intensity": stronger, "ramp": 0}
        said = (f"Crisis extended by {duration} weeks, to week {end + duration}"
                + (f", and intensified from {now:.2f} to {stronger:.2f}" if stronger > now
                   else f" (intensity stays {now:.2f})"))
    parse_timeline([event])
    return event, said


def live_switch_event(model: Any, mix: float) -> tuple[dict[str, Any], str]:
    mix = check_knob("strategy_mix", mix)
    event = {"kind": "strategy_switch", "week": int(model.week) + 1, "strategy_mix": mix}
    parse_timeline([event])
    return event, f"ISPs switch to {mix_label(mix)} from week {event['week']}"


def applied_line(model: Any) -> str:
    """The settings this run was built with, in words."""
    k = model.knobs
    text = f"Started with: {mix_label(k['strategy_mix'])}"
    if first_crisis(model.scenario_spec.arm_params(model.arm).get("timeline", [])):
        text += f" · scripted crisis {k['crisis_peak']:.2f} for {k['crisis_weeks']} weeks"
    else:
        text += " · no scripted crisis"
    return (text + f" · turnover {k['turnover_per_year']:.2f}/year · ISP "
            f"{k['isp_hours']:g} h/week · low-trust prior {k['low_trust_prior']:.2f} · "
            f"seed {model.base_seed}")


def pending_changes(model: Any, values: dict[str, Any]) -> list[str]:
    """The settings moved since the run started, as 'label: old → new' (Reset applies
    them)."""
    now = {**model.knobs, "seed": model.base_seed, "weeks": int(model.p.weeks)}
    labels = {**{k: KNOB[k].label for k in KNOB}, "seed": "Seed", "weeks": "Weeks"}
    out = []
    for name, value in values.items():
        if name in now and str(value).strip() != str(now[name]) and not (
                name in KNOB and _same(value, now[name])):
            out.append(f"{labels[name]}: {now[name]:g} → {value}" if name in KNOB
                       else f"{labels[name]}: {now[name]} → {value}")
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


# --- compare mode ------------------------------------------------------------------------

COMPARE = {"off": "One system",
           "arms": "Two arms side by side",
           "history": "With and without a shared history"}


def world_specs(scenario: Scenario, arm: str, mode: str) -> list[dict[str, Any]]:
    """The worlds to run: keyword arguments for WorkshopModel besides the settings.

    ``arms``: the chosen arm and the next one, each with its own strategy; ``history``:
    the chosen arm without and with established trust. Same seed, so the worlds meet the
    same crisis in the same week and differ only by what the arms differ in."""
    if mode == "arms" and len(scenario.arms) > 1:
        other = scenario.arms[(scenario.arms.index(arm) + 1) % len(scenario.arms)]
        return [{"arm": arm}, {"arm": other, "own_strategy": True}]
    if mode == "history":
        return [{"arm": arm, "overrides": {"established_evidence": 0.0},
                 "label": f"{arm_label(arm)}, no shared history"},
                {"arm": arm, "overrides": HISTORY,
                 "label": f"{arm_label(arm)}, a shared history"}]
    return [{"arm": arm}]


def build_worlds(path: str, scenario: Scenario, arm: str, mode: str,
                 values: dict[str, Any]) -> list[WorkshopModel]:
    """The models for the current settings; a world of another arm keeps that arm's own
    strategy (else both arms would be the same)."""
    worlds = []
    for spec in world_specs(scenario, arm, mode):
        given = dict(values)
        if spec.pop("own_strategy", False):
            given["strategy_mix"] = arm_knobs(scenario.arm_params(spec["arm"]))["strategy_mix"]
        worlds.append(WorkshopModel(path, **spec, **given))
    return worlds


def open_worlds(path: str, arm: str, mode: str
                ) -> tuple[Scenario, dict[str, Any], list[WorkshopModel]]:
    """The scenario, its arm's start values and the worlds a fresh page shows."""
    scenario = scenario_for_reset(path)[0]
    start = start_values(scenario, arm)
    return scenario, start, build_worlds(path, scenario, arm, mode, start)


def step_worlds(worlds: list[WorkshopModel]) -> bool:
    """One week in every world that still runs (lockstep); False when all are done."""
    for world in worlds:
        if world.running:
            world.step()
    return any(w.running for w in worlds)


# --- saving ------------------------------------------------------------------------------


def replay_scenario(model: WorkshopModel) -> dict[str, Any]:
    """A scenario file that replays this run: the arm with the trainer's knobs (and compare
    mode's overrides) and every timeline event, live ones included, as a single arm with
    one replicate."""
    spec = model.scenario_spec
    data = spec.resolved()
    arm = copy.deepcopy(data["arms"][model.arm])
    for name in PARAM_KNOBS:
        arm[name] = model.knobs[name]
    arm.update(model.overrides)
    arm["family_groups"] = apply_knobs(spec.arm_params(model.arm), model.knobs)["family_groups"]
    arm["timeline"] = model_events(model)
    data.update(name=f"{spec.name}-{model.arm}-dashboard",
                description=(f"Replays a dashboard run of {spec.name} ({model.label}) "
                             f"saved at week {model.week}, live events included."),
                weeks=run_weeks(model), replicates=1, seed=int(model.base_seed),
                arms={model.arm: arm})
    return data


def switched(model: WorkshopModel) -> tuple[float, int] | None:
    """The strategy mix in force now and the week it took effect, when a switch has
    changed it from the one the run started with."""
    week, mix = int(model.week), mix_at(model, int(model.week))
    if mix == float(model.knobs["strategy_mix"]):
        return None
    since = max(e["week"] for e in model_events(model)
                if e.get("kind") == "strategy_switch" and e["week"] <= week)
    return mix, since


def slide_title(model: WorkshopModel) -> str:
    """The saved slide's title: the world, and the strategy in force after a switch."""
    title = f"{model.scenario_spec.name}: {model.label}"
    if now := switched(model):
        title += f", {mix_label(now[0])} since week {now[1]}"
    return title


def save_run(model: WorkshopModel, root: str | Path, tag: str = "") -> list[Path]:
    """Write the panels (PNG), the 2x2 frame and the replay scenario into a new folder,
    named after the strategy in force."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    arm = model.arm
    if now := switched(model):
        arm += "-to-" + mix_label(now[0]).removesuffix(" support").replace("% ", "pc-")
    name = f"{model.scenario_spec.name}-{arm}{tag}-week{model.week}-{stamp}"
    base = Path(root) / name
    folder, n = base, 1
    while folder.exists():  # two saves within a second
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    paths = []
    for panel in PANELS:
        path = folder / f"{panel}.png"
        draw_panel(panel, model, dpi=100).savefig(path)
        paths.append(path)
    path = folder / "dashboard.png"
    path.write_bytes(live_frame(slide_title(model), dpi=100).png(model))
    paths.append(path)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(replay_scenario(model), sort_keys=False), encoding="utf-8")
    paths.append(path)
    return paths


# --- choosing a scenario -----------------------------------------------------------------


def shipped_scenarios() -> list[Path]:
    """The scenario files of the served folders (the shipped ones and those named on the
    command line), by name."""
    files = {p.resolve() for d in served_dirs() if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(files, key=lambda p: (p.name, str(p)))


def try_load(path: str | Path) -> tuple[Scenario | None, str | None]:
    """The scenario, or the command line's one-line error (``str`` of TrustsimError)."""
    try:
        return load_scenario(path), None
    except TrustsimError as exc:
        return None, str(exc)


def open_scenario(path: str | Path) -> tuple[Scenario | None, str | None]:
    """A scenario the page may load, or one line saying why not: a file outside the
    served folders is refused before anything of it is read."""
    real = served_file(path)
    return try_load(real) if real else (None, refusal(path))


_LAST_VALID: dict[str, Scenario] = {}  # per file: the last version that validated


def scenario_for_reset(path: str | Path) -> tuple[Scenario, str | None]:
    """The scenario as the file now reads, or, when an edit broke it after the page
    loaded it, the last valid version and the one-line error to show: Reset re-reads
    the file, where a raise would put a traceback on the projector."""
    scenario, error = try_load(path)
    key = str(Path(path).resolve())
    if scenario is not None:
        _LAST_VALID[key] = scenario
        return scenario, None
    last = _LAST_VALID.get(key)
    if last is None:
        raise TrustsimError(error)
    return last, f"{error} (still showing the last valid version)"


def scenario_titles(files: list[Path]) -> dict[str, Path]:
    """Plain-language titles (from each file's description) for the scenario menu; a
    file that does not load is listed by its name."""
    out: dict[str, Path] = {}
    for path in files:
        scenario, _ = try_load(path)
        title = title_of(scenario.description) if scenario and scenario.description else ""
        title = title or path.stem.replace("_", " ")
        out[title if title not in out else f"{title} ({path.name})"] = path
    return out


def shown_class(name: str, arm: str, mode: str) -> str:
    """A CSS class naming what the page shows (scenario and arm names are validated
    identifiers), so a browser test knows when a new choice has taken over."""
    return "ts-on-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{name}--{arm}--{mode}")


def guarded(build, *args: Any) -> tuple[Any, str | None]:
    """``build(*args)``, or None and the one line to show when a scenario or its worlds
    cannot be built (the page shows it in words, never a traceback)."""
    try:
        return build(*args), None
    except (TrustsimError, ValueError) as exc:
        return None, " ".join(str(exc).split())


def save_dir() -> Path:
    return Path(os.environ.get(SAVE_DIR_ENV, "results/app"))


# --- the page ------------------------------------------------------------------------------

#: One screen, no scrolling, at 1280x720 and up: a fixed sidebar, then status, controls,
#: a fixed-height caption strip and the panels sharing what is left. Text is 16 px or
#: more; button colours pass WCAG AA (4.5:1) with white text.
CSS = """
html, body, .v-application, .v-application--wrap { overflow: hidden !important; }
.v-application { font-size: 17px; }
.v-application .v-label, .v-application .v-btn, .v-application input,
.v-application .v-select__selection, .v-application .v-list-item__title,
.v-application .v-tab { font-size: 17px !important; }
.ts-root { display: grid; grid-template-columns: 330px minmax(0, 1fr);
  grid-template-rows: auto auto auto minmax(0, 1fr); height: 100vh; width: 100vw;
  column-gap: 10px; padding: 4px 8px; box-sizing: border-box; }
.ts-root.ts-noside { grid-template-columns: 0 minmax(0, 1fr); column-gap: 0; }
.ts-noside .ts-side { display: none; }
.ts-side { grid-row: 1 / span 4; overflow-y: auto; overflow-x: hidden;
  border-right: 1px solid #cccccc; padding-right: 6px; }
.ts-side .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.ts-side .v-messages { display: none; }
.ts-side .v-input__slider .v-input__slot { flex-wrap: wrap; margin-bottom: 0; }
.ts-side .v-input__slider .v-label { flex: 1 0 100%; white-space: normal;
  color: #222222 !important; line-height: 20px; }
.ts-side .v-input__slider .v-slider { margin: 0 4px; min-height: 22px; }
.ts-side .v-input__slider .v-input__control { margin-bottom: 2px; }
.ts-side .v-select .v-input__slot, .ts-side .v-text-field .v-input__slot { margin-bottom: 2px; }
.ts-side .v-sheet.d-flex { row-gap: 2px !important; }
.ts-side .v-select { padding-top: 10px !important; }
.ts-side .v-text-field__details { display: none; }
.ts-side .v-tabs { margin-bottom: 4px; }
.ts-side .v-tabs, .ts-side .v-tabs-bar { height: 40px !important; }
.ts-side .v-window { overflow: visible; }
.ts-status { font-size: 24px; font-weight: 700; line-height: 1.3; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.ts-status.ts-crisis-on { color: #A3290A; }
.ts-controls { display: flex; flex-wrap: nowrap; gap: 8px; align-items: center;
  padding: 4px 0; }
.ts-controls .v-btn { text-transform: none; letter-spacing: 0; padding: 0 12px !important;
  font-weight: 700; }
.ts-controls .v-btn:not(.v-btn--outlined) { color: #ffffff !important; }
.ts-controls .v-btn--outlined { color: #0B4F8A !important; background: #ffffff; }
.ts-controls .ts-message { font-size: 17px; overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis; min-width: 0; flex: 1 1 0; }
.ts-captions { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
  column-gap: 12px; height: 78px; overflow: hidden; font-size: 17px; line-height: 26px;
  border-top: 1px solid #cccccc; border-bottom: 1px solid #cccccc; }
.ts-captions div { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ts-panels { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
  grid-auto-rows: minmax(0, 1fr); min-height: 0; gap: 4px; }
.ts-panels.ts-compare { grid-template-rows: auto minmax(0, 1fr) minmax(0, 1fr); }
.ts-panels img { width: 100%; height: 100%; object-fit: contain; min-height: 0; }
.ts-world { font-size: 19px; font-weight: 700; text-align: center; }
.ts-small { font-size: 16px; color: #333333; }
.ts-pending { font-size: 16px; color: #7A3E00; font-weight: 700; }
.ts-notes { white-space: pre-wrap; font-size: 16px; line-height: 1.35; }
.ts-paths { font-size: 16px; overflow-wrap: anywhere; }
"""

BUTTON = {"dark": "#0B4F8A", "crisis": "#A3290A", "switch": "#00614F"}

_choice = solara.reactive(None)  # (path, arm) of the scenario shown
_choice_error = solara.reactive(None)  # one line, when a chosen scenario fails validation
_mode = solara.reactive("off")  # compare mode, one of COMPARE
_saved = solara.reactive([])
_speed = solara.reactive(SPEED[2])  # weeks a second while playing, kept across scenarios
_note = solara.reactive("")  # said once by the next dashboard (a restart's reason)
_side = solara.reactive(True)  # the sidebar shown (hide it for more room on a projector)


@solara.component
def Layout(children: list | None = None):
    """No app bar or drawer: the page lays itself out to fit one screen."""
    return solara.Div(children=children or [])


@solara.component
def Figure(model: Any, panel: str, tick: int, lock: Any):
    """One panel as a PNG, redrawn (blitted) only when the week or the timeline changed."""
    live = solara.use_memo(lambda: live_panel(panel), [id(model), panel])

    def draw() -> bytes:
        with lock:
            return live.png(model)

    png = solara.use_memo(draw, [id(model), panel, model.week, len(model_events(model))])
    solara.Image(png, classes=[f"ts-panel-{panel}"])


@solara.component
def Status(model: Any, week: int, tick: int, compare: bool = False):
    """The status line for ``week`` (read under the step lock, so it matches the world
    labels), and under it any refused input or scenario error (``tick`` only tells
    Solara when to render again: the model object stays the same)."""
    crisis = crisis_at(model, week) > 0
    solara.Text(status_line(model, run_weeks(model), with_mix=not compare, week=week),
                classes=["ts-status", "ts-crisis-on" if crisis else "ts-crisis-off"])
    for message in [_choice_error.value, model.scenario_error, *model.refused]:
        if message:
            solara.Error(message, dense=True)


@solara.component
def Captions(model: Any, tick: int = 0, n: int = 3):
    """The story so far in words, newest first, as plain text."""
    lines = captions(model, n=n) or ["What just happened will show here."]
    with solara.Div():
        for line in lines:
            solara.Div(children=[line])


def set_mode(model: Any, title: str) -> None:
    """Change compare mode; the worlds are built anew, so a run under way restarts at
    week 0: say so in the controls row rather than restart silently."""
    mode = next(k for k, t in COMPARE.items() if t == title)
    if mode != _mode.value:
        _note.set(restart_note(title, int(model.week)))
        _mode.set(mode)


def restart_note(title: str, week: int) -> str:
    """What changing compare mode at ``week`` did, in words."""
    return (f"Compare: {title}, restarted at week 0 (was at week {week}) with the same "
            "settings" if week else f"Compare: {title}")


def _knob_slider(knob: Knob, values: solara.Reactive, start: dict[str, Any]) -> None:
    low, high = knob_range(knob, start[knob.name])
    value = values.value[knob.name]
    shown = f"{int(value)}" if knob.integer else f"{float(value):.2f}"
    if knob.name == "strategy_mix":
        shown = mix_label(float(value))
    kind = solara.SliderInt if knob.integer else solara.SliderFloat
    kind(f"{knob.label}: {shown}", value=value, min=low, max=high, step=knob.step,
         on_value=lambda v: values.set({**values.value, knob.name: v}))


@solara.component
def Settings(scenario: Scenario, arm: str, values: solara.Reactive, live: solara.Reactive,
             model: Any):
    """Scenario, arm, compare mode, the settings Reset applies and the live actions'
    own settings."""
    ScenarioChooser()
    solara.Select("Compare", value=COMPARE[_mode.value], values=list(COMPARE.values()),
                  on_value=lambda v: set_mode(model, v))
    start = start_values(scenario, arm)
    has_crisis = first_crisis(scenario.arm_params(arm).get("timeline", [])) is not None
    for knob in KNOBS:
        if has_crisis or not knob.crisis:
            _knob_slider(knob, values, start)
    with solara.Row(gap="8px"):
        for name in FIELDS:
            solara.InputText(name.capitalize(), value=str(values.value[name]),
                             on_value=lambda v, n=name: values.set({**values.value, n: v}),
                             continuous_update=True)
    pending = pending_changes(model, values.value)
    if pending:
        solara.Text("Reset applies: " + "; ".join(pending), classes=["ts-pending"])
    solara.SliderFloat(f"Crisis now: intensity {live.value['intensity']:.2f}",
                       value=live.value["intensity"], min=0.05, max=1.0, step=0.05,
                       on_value=lambda v: live.set({**live.value, "intensity": v}))
    solara.SliderInt(f"Crisis now: weeks {live.value['weeks']}", value=live.value["weeks"],
                     min=4, max=104, on_value=lambda v: live.set({**live.value, "weeks": v}))
    solara.SliderFloat(f"Switch to: {mix_label(live.value['mix'])}", value=live.value["mix"],
                       min=0.0, max=1.0, step=0.05,
                       on_value=lambda v: live.set({**live.value, "mix": v}))
    solara.SliderInt(f"Speed: {_speed.value} weeks a second", value=_speed,
                     min=SPEED[0], max=SPEED[1])


@solara.component
def ScenarioChooser(with_path: bool = False):
    """Pick a served scenario (by its title) and arm, or type a path in a served folder;
    errors are shown, not raised."""
    current = _choice.value
    path = Path(current[0]).resolve() if current else None
    titles = solara.use_memo(lambda: scenario_titles(shipped_scenarios()), [])
    by_path = {p: t for t, p in titles.items()}
    typed = solara.use_reactive(str(path or ""))
    loaded, _ = solara.use_memo(lambda: try_load(path) if path else (None, None), [path])

    def choose(new_path: str | Path, arm: str | None = None) -> None:
        scenario, error = open_scenario(new_path)
        _choice_error.set(error)
        if scenario is not None:
            _saved.set([])
            _choice.set((str(Path(new_path)), arm if arm in scenario.arms else scenario.arms[0]))

    solara.Select("Scenario", value=by_path.get(path), values=list(titles),
                  on_value=lambda title: choose(titles[title]))
    if loaded is not None:
        arms = {arm_label(a): a for a in loaded.arms}
        solara.Select("Arm", value=arm_label(current[1]), values=list(arms),
                      on_value=lambda label: choose(path, arms[label]))
    if with_path:
        with solara.Row(gap="4px", style={"align-items": "center"}):
            solara.InputText("or a scenario file path", value=typed)
            solara.Button("Load", on_click=lambda: choose(typed.value), outlined=True)
    if _choice_error.value and not current:  # else the status line shows it
        solara.Error(_choice_error.value, dense=True)


@solara.component
def Panels(worlds: list[Any], weeks: tuple[int, ...], tick: int, lock: Any):
    """Four panels, two by two; in compare mode each world's network and trust, the
    worlds side by side under their names."""
    if len(worlds) == 1:
        with solara.Div(classes=["ts-panels"]):
            for panel in PANELS:
                Figure(worlds[0], panel, tick, lock)
        return
    with solara.Div(classes=["ts-panels", "ts-compare"]):
        for world, week in zip(worlds, weeks, strict=True):
            solara.Text(f"{world.label} (week {week}): {mix_label(mix_at(world, week))}",
                        classes=["ts-world"])
        for world in worlds:
            Figure(world, "network", tick, lock)
        for panel in COMPARE_COLUMNS:
            CompareFigure(worlds, panel, tick, lock)


def short_label(world: Any) -> str:
    """A world's name short enough for a legend: 'Top-down', 'a shared history'."""
    return world.label.split(", ")[-1].removesuffix(" support")


@solara.component
def CompareFigure(worlds: list[Any], panel: str, tick: int, lock: Any):
    """Both worlds' adoption or reach on one panel, their difference filled."""
    def draw() -> bytes:
        with lock:
            return figure_png(draw_compare(panel, worlds, [short_label(w) for w in worlds]))

    png = solara.use_memo(draw, [tuple(id(w) for w in worlds), panel, tick])
    solara.Image(png, classes=[f"ts-panel-{panel}-compare"])


@solara.component
def Dashboard(path: str, arm: str, mode: str):
    """One scenario arm (or two worlds in compare mode): sidebar, status, controls,
    captions and panels, all on one screen."""
    opened, error = solara.use_memo(lambda: guarded(open_worlds, path, arm, mode), [])
    if error is not None:  # one line and the chooser, never a traceback
        solara.Error(error, dense=True)
        ScenarioChooser(with_path=True)
    else:
        Running(path, arm, mode, *opened)


@solara.component
def Running(path: str, arm: str, mode: str, scenario: Scenario, start: dict[str, Any],
            first: list[WorkshopModel]):
    """The dashboard of worlds that were built."""
    values = solara.use_reactive(start)  # what Reset will apply
    worlds = solara.use_reactive(first)
    start = arm_knobs(scenario.arm_params(arm))
    live = solara.use_reactive({"intensity": float(start["crisis_peak"]) or 0.9,
                                "weeks": int(start["crisis_weeks"]),
                                "mix": 1.0 - round(start["strategy_mix"])})
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)  # counts changes: the components below render again
    message = solara.use_reactive(solara.use_memo(lambda: _note.value, []))
    solara.use_effect(lambda: _note.set(""), [])
    tab = solara.use_reactive(0)
    lock = solara.use_memo(threading.RLock, [])

    def advance() -> bool:
        with lock:
            more = step_worlds(worlds.value)
        tick.set(tick.value + 1)
        return more

    def play_loop() -> None:
        while playing.value:
            time.sleep(1 / _speed.value)
            if playing.value and not advance():
                playing.set(False)
        tick.set(tick.value + 1)  # paused: draw the last week once more, all settled

    def play_pause() -> None:
        with lock:  # a week being stepped finishes first
            playing.set(not playing.value)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        with lock:
            current, _ = scenario_for_reset(path)
            built, error = guarded(build_worlds, path, current, arm, mode, values.value)
            if built is not None:
                worlds.set(built)
        tick.set(tick.value + 1)
        message.set(error or "")

    def act(maker) -> None:
        try:
            with lock:
                said = ""
                for world in worlds.value:
                    event, said = maker(world)
                    world.add_event(event)
        except ValueError as exc:
            message.set(f"Refused: {exc}")
            return
        message.set(said)
        tick.set(tick.value + 1)  # the status line and panels show the event at once

    def save() -> None:
        try:
            paths: list[str] = []
            for i, world in enumerate(worlds.value):
                tag = f"-{i + 1}" if len(worlds.value) > 1 else ""
                paths += [str(p) for p in save_run(world, save_dir(), tag)]
            _saved.set(paths)
            message.set(f"Saved to {Path(paths[0]).parent}")
        except OSError as exc:  # e.g. a read-only folder: say so, keep running
            message.set(f"Could not save to {save_dir()}: {exc.strerror or exc}")

    model = worlds.value[0]
    with lock:  # one snapshot of the weeks for the status line and the world labels
        weeks = tuple(w.week for w in worlds.value)
    running = any(w.running for w in worlds.value)
    crisis_now = lambda: act(  # noqa: E731
        lambda w: live_crisis_event(w, live.value["intensity"], live.value["weeks"]))
    Shortcuts({"play": lambda: running and play_pause(),
               "step": lambda: running and not playing.value and advance(),
               "crisis": crisis_now})
    side = [] if _side.value else ["ts-noside"]
    with solara.Div(classes=["ts-root", shown_class(scenario.name, arm, mode), *side]):
        with solara.Div(classes=["ts-side"]):
            with solara.lab.Tabs(value=tab, grow=True):
                with solara.lab.Tab("Settings"):
                    Settings(scenario, arm, values, live, model)
                with solara.lab.Tab("About"):
                    AboutScenario(path, model)
        with solara.Div():
            Status(model, weeks[0], tick.value, compare=len(worlds.value) > 1)
        with solara.Div(classes=["ts-controls"]):
            solara.Button("☰", color=BUTTON["dark"], outlined=True, classes=["ts-side-toggle"],
                          on_click=lambda: _side.set(not _side.value))
            solara.Button("❚❚ Pause" if playing.value else "▶ Play", color=BUTTON["dark"],
                          on_click=play_pause,
                          disabled=not running)
            solara.Button("Step", color=BUTTON["dark"], on_click=advance,
                          disabled=playing.value or not running)
            solara.Button("Reset", color=BUTTON["dark"], on_click=reset)
            solara.Button("Crisis now", color=BUTTON["crisis"], on_click=crisis_now)
            solara.Button("Switch strategy now", color=BUTTON["switch"], on_click=lambda: act(
                lambda w: live_switch_event(w, live.value["mix"])))
            solara.Button("Save", color=BUTTON["dark"], outlined=True, on_click=save)
            solara.Text(message.value, classes=["ts-message"])
        with solara.Div(classes=["ts-captions"]):
            for world in worlds.value:
                Captions(world, tick.value, n=3)
        Panels(worlds.value, weeks, tick.value, lock)


@solara.component
def AboutScenario(path: str, model: Any):
    """The scenario's workshop note (its question, what to click, what to notice: written
    for the room, unlike the file's comment for researchers), the settings the run
    started with and where Save wrote."""
    ScenarioChooser(with_path=True)
    solara.Text(model.scenario_spec.description, classes=["ts-small"])
    solara.Text(model.scenario_spec.workshop or "This scenario has no workshop note "
                "(a `workshop:` text in its file).", classes=["ts-notes"])
    solara.Text(applied_line(model), classes=["ts-small"])
    solara.Text(SHORTCUT_HELP + " · ☰ hides the sidebar", classes=["ts-small"])
    if _saved.value:
        folder = Path(_saved.value[0]).parent
        names = ", ".join(Path(p).name for p in _saved.value)
        solara.Text(f"Saved to {folder}: {names}", classes=["ts-paths"])


@solara.component
def Page():
    solara.Style(CSS)
    solara.Title("Trust and implementation: workshop dashboard")
    if _choice.value is None and _choice_error.value is None:
        start = os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO)
        scenario, error = try_load(start)
        if scenario is None:
            _choice_error.set(error)
        else:
            arm = os.environ.get(ARM_ENV) or scenario.arms[0]
            _choice.set((start, arm if arm in scenario.arms else scenario.arms[0]))
    if _choice.value is None:
        with solara.Column(style={"padding": "24px"}):
            ScenarioChooser(with_path=True)
        return
    path, arm = _choice.value
    Dashboard(path, arm, _mode.value).key(f"{path}::{arm}::{_mode.value}")
