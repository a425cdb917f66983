"""The trainers' live dashboard (Mesa SolaraViz): watch trust let a system pivot.

Started by ``trustsim app [SCENARIO]`` (``solara run sim.app`` underneath; the scenario
comes in ``TRUSTSIM_APP_SCENARIO``). A trainer picks a shipped scenario and arm, moves
the sliders a workshop talks about, resets, plays, and hits the running system with a
crisis or a strategy switch. Live actions go through ``model.add_event`` so they land on
the model's timeline, and "Save" writes the run's figures and a scenario file that
replays it (``trustsim run``). Bad input never shows a traceback: out-of-range values are
refused with a message and a scenario that fails validation shows the command line's
one-line error.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import yaml
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from sim.animate import (
    PANELS,
    draw_panel,
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
    token_ok,
)
from sim.errors import TrustsimError
from sim.model import TrustModel
from sim.parameters import PARAMETERS, check_value
from sim.scenario.loader import Scenario, load_scenario
from sim.timeline import Timeline, parse_timeline

SCENARIO_ENV = "TRUSTSIM_APP_SCENARIO"
SAVE_DIR_ENV = "TRUSTSIM_APP_SAVE_DIR"
ARM_ENV = "TRUSTSIM_APP_ARM"
DEFAULT_SCENARIO = "scenarios/covid_pivot.yaml"
__all__ = ["DIRS_ENV", "REPO_SCENARIOS", "TOKEN_ENV", "token_ok"]

#: A crisis for "Crisis now" when the scenario scripts none (MODEL.md: COVID-style).
DEFAULT_CRISIS = {"intensity": 0.9, "duration": 52}


# --- the trainers' knobs -------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """A dashboard control and its range (MODEL.md, 'Ranges a user will want to move')."""

    name: str
    label: str
    low: float
    high: float
    step: float
    integer: bool = False


KNOBS = (
    Knob("strategy_mix", "Strategy mix (0 top-down .. 1 co-creative)", 0.0, 1.0, 0.05),
    Knob("crisis_peak", "Scripted crisis: intensity", 0.0, 1.0, 0.05),
    Knob("crisis_weeks", "Scripted crisis: duration (weeks)", 4, 104, 1, integer=True),
    Knob("turnover_per_year", "Staff turnover per year", 0.1, 0.6, 0.05),
    Knob("isp_hours", "ISP hours per week", 5, 40, 1),
    Knob("low_trust_prior", "Prior trust of the low-trust families", 0.1, 0.9, 0.05),
)
KNOB = {k.name: k for k in KNOBS}
FIELDS = ("seed", "weeks")  # typed in, so they can be out of range


def first_crisis(timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in timeline if e.get("kind") == "crisis"), None)


def low_trust_group(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The family group whose prior trust in agencies is lowest (001, 004)."""
    return min(groups, key=lambda g: g["prior_trust"])


def arm_knobs(params: dict[str, Any]) -> dict[str, float]:
    """The knob values a scenario arm implies, so the sliders start where the file is."""
    crisis = first_crisis(params.get("timeline", [])) or DEFAULT_CRISIS
    groups = params.get("family_groups") or PARAMETERS["family_groups"].default
    value = {n: params.get(n, PARAMETERS[n].default) for n in
             ("strategy_mix", "turnover_per_year", "isp_hours")}
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


def check_field(name: str, value: Any) -> int:
    """A typed-in seed or run length, checked like the scenario file checks it."""
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
        return check_value("weeks", number)
    except ValueError:
        raise ValueError(f"Weeks = {text!r}: expected "
                         f"{PARAMETERS['weeks'].describe_range()}") from None


def apply_knobs(params: dict[str, Any], knobs: dict[str, float]) -> dict[str, Any]:
    """An arm's model parameters with the trainer's knob values put in their places."""
    out = copy.deepcopy(params)
    for name in ("strategy_mix", "turnover_per_year", "isp_hours"):
        out[name] = knobs[name]
    timeline = out.get("timeline", [])
    crisis = first_crisis(timeline)
    if crisis is not None:
        crisis["intensity"] = knobs["crisis_peak"]
        crisis["duration"] = int(knobs["crisis_weeks"])
    groups = copy.deepcopy(out.get("family_groups") or PARAMETERS["family_groups"].default)
    low_trust_group(groups)["prior_trust"] = knobs["low_trust_prior"]
    out["family_groups"] = groups
    return out


def settle_inputs(scenario: Scenario, arm: str, given: dict[str, Any]
                  ) -> tuple[dict[str, Any], list[str]]:
    """The knob and field values to run with, and one message per refused value.

    A refused value is replaced by the scenario's own, so the model always builds.
    """
    start = {**arm_knobs(scenario.arm_params(arm)), "seed": scenario.seed,
             "weeks": scenario.weeks}
    values, refused = dict(start), []
    for name, value in given.items():
        if value is None:
            continue
        try:
            checker = check_field if name in FIELDS else (
                lambda n, v: check_knob(n, v, start[n]))
            values[name] = checker(name, value)
        except ValueError as exc:
            refused.append(f"Refused {exc}; kept {start[name]!r}")
    return values, refused


class WorkshopModel(TrustModel):
    """TrustModel built from a scenario arm plus the trainer's knobs.

    SolaraViz re-creates the model on Reset with the keyword arguments below, so each
    knob is a flat keyword; ``refused`` lists the values that were out of range.
    """

    def __init__(self, scenario_file: str = DEFAULT_SCENARIO, arm: str | None = None,
                 seed: Any = None, weeks: Any = None, scenario: Any = None, **knobs: Any):
        # ``scenario`` is Mesa's own (experimental) Scenario object, which SolaraViz's
        # Reset always passes; this model reads its parameters from ``scenario_file``.
        spec, self.scenario_error = scenario_for_reset(scenario_file)
        self.scenario_spec = spec
        self.arm = arm if arm in spec.arms else spec.arms[0]
        values, self.refused = settle_inputs(spec, self.arm,
                                             {"seed": seed, "weeks": weeks, **knobs})
        self.knobs = {k: values[k] for k in KNOB}
        self.base_seed = values["seed"]
        params = apply_knobs(spec.arm_params(self.arm), self.knobs)
        params["weeks"] = values["weeks"]
        super().__init__(rng=replicate_seed(self.base_seed), **params)


@functools.cache
def workshop_model_for(scenario_file: str, arm: str) -> type[WorkshopModel]:
    """WorkshopModel whose defaults are this scenario and arm.

    SolaraViz's Reset rebuilds the model as ``type(model)(**parameters)``, and after the
    dashboard is remounted for a newly chosen scenario or arm those parameters can be
    empty (Mesa's ModelCreator fills them in a mount effect that Solara does not run
    again), so the choice lives in the class: a Reset never falls back to the default
    scenario."""

    def __init__(self, scenario_file: str = scenario_file, arm: str | None = arm,
                 **kwargs: Any) -> None:
        WorkshopModel.__init__(self, scenario_file, arm, **kwargs)

    return type("WorkshopModel", (WorkshopModel,), {"__init__": __init__,
                                                     "__module__": __name__})


# --- reading the running model ----------------------------------------------------------


def crisis_at(model: Any, week: int) -> float:
    """Crisis intensity at ``week`` from the model's timeline (live events too)."""
    return Timeline(parse_timeline(model_events(model))).crisis_intensity(week)


def mix_at(model: Any, week: int) -> float:
    """The ISPs' strategy mix in force at ``week``: the last switch by then, else the
    value the run started with."""
    switches = [e for e in model_events(model)
                if e.get("kind") == "strategy_switch" and e["week"] <= week]
    if switches:
        return max(switches, key=lambda e: e["week"])["strategy_mix"]
    return float(model.knobs["strategy_mix"])


def status_line(model: Any) -> str:
    """'Week 12 of 156 · CRISIS (intensity 0.90) · strategy mix 0.00', plus what the
    next week brings (live events start the week after they are called)."""
    week, nxt = model.week, model.week + 1
    now = crisis_at(model, week)
    text = f"Week {week} of {run_weeks(model)}"
    text += f"  ·  CRISIS (intensity {now:.2f})" if now > 0 else "  ·  normal conditions"
    text += f"  ·  strategy mix {mix_at(model, week):.2f}"
    if now == 0 and crisis_at(model, nxt) > 0:
        text += f"  ·  CRISIS from week {nxt}"
    if mix_at(model, nxt) != mix_at(model, week):
        text += f"  ·  switching to {mix_at(model, nxt):.2f} in week {nxt}"
    return text


def applied_line(model: Any) -> str:
    """The knob values this run was built with (sliders only show theirs while dragged)."""
    k = model.knobs
    return (f"Started with: strategy mix {k['strategy_mix']:.2f} · scripted crisis "
            f"{k['crisis_peak']:.2f} for {k['crisis_weeks']} weeks · turnover "
            f"{k['turnover_per_year']:.2f}/year · ISP {k['isp_hours']:g} h/week · low-trust "
            f"prior {k['low_trust_prior']:.2f} · seed {model.base_seed}")


def captions(model: Any, n: int = 6) -> list[str]:
    """The last ``n`` plain-language captions, newest first."""
    return [f"Week {week}: {text}" for week, text in list(model.log)[-n:][::-1]]


def live_crisis_event(model: Any, intensity: float, weeks: int) -> dict[str, Any]:
    """'Crisis now': a crisis from next week (the weeks already run stay as they were, so
    the saved run replays exactly), checked like a scenario event."""
    intensity = check_knob("crisis_peak", intensity)
    duration = check_knob("crisis_weeks", weeks)
    event = {"kind": "crisis", "onset": int(model.week) + 1, "duration": duration,
             "intensity": intensity}
    parse_timeline([event])
    return event


def live_switch_event(model: Any, mix: float) -> dict[str, Any]:
    mix = check_knob("strategy_mix", mix)
    event = {"kind": "strategy_switch", "week": int(model.week) + 1, "strategy_mix": mix}
    parse_timeline([event])
    return event


# --- saving ------------------------------------------------------------------------------


def replay_scenario(model: WorkshopModel) -> dict[str, Any]:
    """A scenario file that replays this run: the arm with the trainer's knobs and every
    timeline event, live ones included, as a single arm with one replicate."""
    spec = model.scenario_spec
    data = spec.resolved()
    arm = copy.deepcopy(data["arms"][model.arm])
    for name in ("strategy_mix", "turnover_per_year", "isp_hours"):
        arm[name] = model.knobs[name]
    arm["family_groups"] = apply_knobs(spec.arm_params(model.arm), model.knobs)["family_groups"]
    arm["timeline"] = model_events(model)
    data.update(name=f"{spec.name}-{model.arm}-dashboard",
                description=(f"Replays a dashboard run of {spec.name} (arm {model.arm}) "
                             f"saved at week {model.week}, live events included."),
                weeks=run_weeks(model), replicates=1, seed=int(model.base_seed),
                arms={model.arm: arm})
    return data


def save_run(model: WorkshopModel, root: str | Path) -> list[Path]:
    """Write the panels (PNG), the 2x2 frame and the replay scenario into a new folder."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{model.scenario_spec.name}-{model.arm}-week{model.week}-{stamp}"
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
    path.write_bytes(live_frame(f"{model.scenario_spec.name}: {model.arm}", dpi=100).png(model))
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


def open_scenario(path: str | Path) -> tuple[Scenario | None, str | None]:
    """A scenario the page may load, or one line saying why not: a file outside the
    served folders is refused before anything of it is read."""
    real = served_file(path)
    return try_load(real) if real else (None, refusal(path))


def try_load(path: str | Path) -> tuple[Scenario | None, str | None]:
    """The scenario, or the command line's one-line error (``str`` of TrustsimError)."""
    try:
        return load_scenario(path), None
    except TrustsimError as exc:
        return None, str(exc)


_LAST_VALID: dict[str, Scenario] = {}  # per file: the last version that validated


def scenario_for_reset(path: str | Path) -> tuple[Scenario, str | None]:
    """The scenario as the file now reads, or, when an edit broke it after the page
    loaded it, the last valid version and the one-line error to show: Reset re-reads
    the file inside SolaraViz, where a raise would put a traceback on the projector."""
    scenario, error = try_load(path)
    key = str(Path(path).resolve())
    if scenario is not None:
        _LAST_VALID[key] = scenario
        return scenario, None
    last = _LAST_VALID.get(key)
    if last is None:
        raise TrustsimError(error)
    return last, f"{error} (still showing the last valid version)"


# --- the page ------------------------------------------------------------------------------

CSS = """
.v-application { font-size: 18px; }
.v-application .v-label, .v-application .v-btn { font-size: 17px !important; }
.ts-status { font-size: 28px; font-weight: 700; padding: 4px 0; }
.ts-crisis { color: #ffffff; background: #D55E00; padding: 2px 10px; border-radius: 4px; }
.ts-captions li { font-size: 19px; line-height: 1.5; }
.ts-paths { font-family: monospace; font-size: 15px; word-break: break-all; }
.ts-applied { font-size: 16px; color: #444444; }
.v-navigation-drawer { max-width: 400px !important; }
/* sidebar sliders show their values, not only while dragged: a room reads them off the
   screen (the live controls carry theirs in their labels) */
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-label { flex: 1 0 100%; white-space: normal; }
.v-navigation-drawer .v-input__slider .v-slider { margin-top: 38px; }
.v-navigation-drawer .v-alert, .v-navigation-drawer input { word-break: break-all; }
"""

_choice = solara.reactive(None)  # (path, arm) of the scenario shown
_choice_error = solara.reactive(None)  # one line, when a chosen scenario fails validation
_saved = solara.reactive([])
_MODELS = itertools.count()  # keys of the per-choice model reactives


def save_dir() -> Path:
    return Path(os.environ.get(SAVE_DIR_ENV, "results/app"))


def model_params(path: Path, scenario: Scenario, arm: str) -> dict[str, Any]:
    """SolaraViz parameter specs: sliders start at the arm's values."""
    start = arm_knobs(scenario.arm_params(arm))
    specs: dict[str, Any] = {"scenario_file": str(path), "arm": arm}
    for knob in KNOBS:
        low, high = knob_range(knob, start[knob.name])
        specs[knob.name] = {"type": "SliderInt" if knob.integer else "SliderFloat",
                            "label": knob.label, "value": start[knob.name], "min": low,
                            "max": high, "step": knob.step}
    specs["seed"] = {"type": "InputText", "label": "Seed", "value": str(scenario.seed)}
    specs["weeks"] = {"type": "InputText", "label": "Weeks", "value": str(scenario.weeks)}
    return specs


@solara.component
def Figure(model: Any, panel: str):
    """One panel as a PNG, redrawn (blitted) only when the week or the timeline changed."""
    update_counter.get()
    key = [id(model), model.week, len(model_events(model))]

    live = solara.use_memo(lambda: live_panel(panel), [id(model)])
    png = solara.use_memo(lambda: live.png(model), key)
    solara.Image(png, width="100%")


@solara.component
def Status(model: Any):
    update_counter.get()
    with solara.Column(gap="4px"):
        solara.Text(status_line(model), classes=["ts-status"])
        solara.Text(applied_line(model), classes=["ts-applied"])
        if model.week == 0:
            solara.Text("Move the sliders, press Reset to apply them, then ▶ or Step.")
        for message in [model.scenario_error, *model.refused]:
            if message:
                solara.Error(message)


@solara.component
def LiveControls(model: Any):
    """Crisis now, strategy switch and save: they act on the running model."""
    update_counter.get()
    intensity = solara.use_reactive(float(model.knobs["crisis_peak"]) or 0.9)
    weeks = solara.use_reactive(int(model.knobs["crisis_weeks"]))
    mix = solara.use_reactive(1.0 - round(mix_at(model, model.week)))
    message = solara.use_reactive("")

    def add(event_maker) -> None:
        try:
            event = event_maker()
        except ValueError as exc:
            message.set(f"Refused: {exc}")
            return
        model.add_event(event)
        message.set("")
        force_update()

    def do_save() -> None:
        try:
            _saved.set([str(p) for p in save_run(model, save_dir())])
        except OSError as exc:  # e.g. a read-only folder: say so, keep running
            message.set(f"Could not save to {save_dir()}: {exc.strerror or exc}")

    grow = {"flex": "1 1 0", "min-width": "180px"}
    with solara.Card(style={"padding": "8px"}):
        with solara.Row(style={"align-items": "center"}):
            with solara.Column(style=grow):
                solara.SliderFloat(f"Crisis intensity {intensity.value:.2f}", value=intensity,
                                   min=0.05, max=1.0, step=0.05)
            with solara.Column(style=grow):
                solara.SliderInt(f"for {weeks.value} weeks", value=weeks, min=4, max=104)
            solara.Button("Crisis now", color="error", on_click=lambda: add(
                lambda: live_crisis_event(model, intensity.value, weeks.value)))
        with solara.Row(style={"align-items": "center"}):
            with solara.Column(style=grow):
                solara.SliderFloat(f"Strategy mix {mix.value:.2f}", value=mix, min=0.0,
                                   max=1.0, step=0.05)
            solara.Button("Switch strategy now", color="primary", on_click=lambda: add(
                lambda: live_switch_event(model, mix.value)))
        solara.Button("Save figures and scenario", on_click=do_save, outlined=True)
        if message.value:
            solara.Error(message.value)
        if _saved.value:
            folder = Path(_saved.value[0]).parent
            names = ", ".join(Path(p).name for p in _saved.value)
            solara.Text(f"Saved to {folder}: {names}", classes=["ts-paths"])


@solara.component
def Captions(model: Any):
    update_counter.get()
    lines = captions(model, n=4)
    with solara.Card(style={"padding": "8px"}):
        if not lines:
            solara.Text("What just happened will show here.")
        with solara.Column(classes=["ts-captions"], gap="0px"):
            for line in lines:
                solara.Text(line)


@solara.component
def ScenarioChooser():
    """Pick a shipped scenario and arm, or type a path; errors are shown, not raised."""
    current = _choice.value
    path = Path(current[0]) if current else None
    files = shipped_scenarios()
    typed = solara.use_reactive(str(path or ""))
    loaded, _ = solara.use_memo(lambda: try_load(path) if path else (None, None), [path])

    def choose(new_path: str | Path, arm: str | None = None) -> None:
        scenario, error = open_scenario(new_path)
        _choice_error.set(error)
        if scenario is not None:
            _saved.set([])
            _choice.set((str(Path(new_path)), arm if arm in scenario.arms else scenario.arms[0]))

    with solara.Card("Scenario"):
        solara.Select("Scenario file", value=path.name if path else None,
                      values=[p.name for p in files],
                      on_value=lambda name: choose(next(p for p in files if p.name == name)))
        if loaded is not None:
            solara.Select("Arm", value=current[1], values=loaded.arms,
                          on_value=lambda arm: choose(path, arm))
        solara.InputText("or a scenario file path", value=typed)
        solara.Button("Load", on_click=lambda: choose(typed.value))
        if _choice_error.value:
            solara.Error(_choice_error.value)


@solara.component
def Panels(model: Any):
    """The four panels, two by two. Laid out here rather than handed to SolaraViz as
    components: it wraps plain functions in a new component on every render, which would
    remount (and fully redraw) every panel each week."""
    for row in (PANELS[:2], PANELS[2:]):
        with solara.Columns([1, 1]):
            for panel in row:
                Figure(model, panel)


@solara.component
def Dashboard(path: str, arm: str):
    """SolaraViz (controls, parameters, reset/play/step) on one scenario arm, remounted
    when the choice changes; status, live controls and captions above the panels, the
    scenario chooser in its sidebar."""
    # One reactive per choice: SolaraViz's Reset puts the new model into it (use_reactive
    # on a plain value would put the first model back on the next render). Its own key:
    # Solara's default key counts per class, and each choice has its own class.
    model = solara.use_memo(lambda: solara.reactive(workshop_model_for(path, arm)(),
                                                    key=f"trustsim-model-{next(_MODELS)}"),
                            [path, arm])
    scenario = solara.use_memo(lambda: model.value.scenario_spec, [path, arm])  # as loaded
    with solara.Sidebar():
        ScenarioChooser()
    with solara.Column(gap="0px"):
        Status(model.value)
        with solara.Columns([3, 2]):
            LiveControls(model.value)
            Captions(model.value)
        SolaraViz(
            model,
            components=[],
            model_params=model_params(Path(path), scenario, arm),
            name=f"trustsim: {scenario.name} ({arm})",
            play_interval=150,
            render_interval=1,
        )
        Panels(model.value)


@solara.component
def Page():
    solara.Style(CSS)
    solara.Title("Trust and implementation: workshop dashboard")
    if not token_ok(solara.use_router().search, os.environ.get(TOKEN_ENV)):
        solara.Error("This dashboard needs the address with its token, as printed by "
                     "`trustsim app`.")
        return
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
            solara.Title("trustsim dashboard")
            ScenarioChooser()
        return
    path, arm = _choice.value
    Dashboard(path, arm).key(f"{path}::{arm}")
