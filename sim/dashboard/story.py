"""What the dashboard says in words: the status line and the captions.

Captions are read from public state only: the model's log (``model.note``), its
timeline and its weekly record. Repeated notes of one week are grouped ("3 broken
promises this week"), the crisis starting and ending and a strategy switch get their
own lines, and a trend in trust on a kind of tie is named when it starts, with the
interaction type the ISPs spent most hours on that week. Agencies and ISPs are called
by the short names the network draws (A3, I2).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sim.timeline import Timeline, parse_timeline

#: A change in mean trust over four weeks large enough to call a trend.
TREND = 0.02
TIE_WORDS = {"agency_isp": "Agencies' trust in their ISPs",
             "isp_agency": "ISPs' trust in their agencies",
             "agency_agency": "Agencies' trust in their partners",
             "family_agency": "Families' trust in agencies"}


def short_names(text: str) -> str:
    """'Agency 3' -> 'A3', 'ISP 2' -> 'I2': the names the network draws."""
    return re.sub(r"\bISP (\d+)", r"I\1", re.sub(r"\bAgency (\d+)", r"A\1", text))


def events_of(model: Any) -> list[dict[str, Any]]:
    return list(model.events)


def crisis_at(model: Any, week: int) -> float:
    """Crisis intensity at ``week`` from the model's timeline (live events too)."""
    return Timeline(parse_timeline(events_of(model))).crisis_intensity(week)


def crisis_end(model: Any, week: int) -> int | None:
    """The first week from ``week`` on with no crisis, or None when none is under way."""
    timeline = Timeline(parse_timeline(events_of(model)))
    if timeline.crisis_intensity(week) <= 0:
        return None
    ends = [e["onset"] + e["duration"] for e in events_of(model) if e["kind"] == "crisis"
            and e["onset"] <= week < e["onset"] + e["duration"]]
    end = max(ends)
    while timeline.crisis_intensity(end) > 0:  # a later crisis continues it
        end += 1
    return end


def mix_at(model: Any, week: int) -> float:
    """The ISPs' strategy mix in force at ``week``: the last switch by then, else the
    value the run started with."""
    switches = [e for e in events_of(model)
                if e.get("kind") == "strategy_switch" and e["week"] <= week]
    if switches:
        return float(max(switches, key=lambda e: e["week"])["strategy_mix"])
    return float(model.knobs["strategy_mix"])


def mix_label(mix: float) -> str:
    """'top-down support', 'co-creative support' or '60% co-creative support'."""
    if mix <= 0:
        return "top-down support"
    if mix >= 1:
        return "co-creative support"
    return f"{mix:.0%} co-creative support"


def status_line(model: Any, weeks: int, with_mix: bool = True, week: int | None = None
                ) -> str:
    """'Week 12 of 156 · CRISIS (intensity 0.90, until week 60) · top-down support', plus
    what the next week brings (live events start the week after they are called).
    ``week``: the week to describe, if not the model's own (a snapshot)."""
    week = model.week if week is None else week
    nxt = week + 1
    now = crisis_at(model, week)
    text = f"Week {week} of {weeks}"
    if now > 0:
        text += f"  ·  CRISIS (intensity {now:.2f}, until week {crisis_end(model, week)})"
    else:
        text += "  ·  normal conditions"
    if with_mix:
        text += f"  ·  {mix_label(mix_at(model, week))}"
    if now == 0 and crisis_at(model, nxt) > 0:
        text += f"  ·  CRISIS from week {nxt}"
    if with_mix and mix_at(model, nxt) != mix_at(model, week):
        text += f"  ·  switching to {mix_label(mix_at(model, nxt))} in week {nxt}"
    return text


# --- captions ----------------------------------------------------------------------------

_GROUPS = (  # (pattern of one note, one-line summary of n of them), most telling first
    (re.compile(r"(A\d+) moved on to (.+)"),
     lambda n, who, stage, when: f"{who} moved on to {stage}"),
    (re.compile(r"(A\d+) fell back from (.+) to (.+)"),
     lambda n, who, old, new, when: f"{who} fell back from {old} to {new}"),
    (re.compile(r"(A\d+) abandoned the effort during (.+)"),
     lambda n, who, stage, when: f"{who} abandoned the effort during {stage}"),
    (re.compile(r"A broken promise at (A\d+) cut its trust in (I\d+)"),
     lambda n, who, when: (f"{n} broken promises {when} ({who}) cut trust in ISPs" if n > 1
                           else f"A broken promise at {who} cut its trust in its ISP")),
    (re.compile(r"(I\d+) introduced A\d+ to A\d+: a new partnership built on borrowed trust"),
     lambda n, who, when: (f"{n} new partnerships brokered by ISPs {when} ({who})" if n > 1
                           else f"{who} brokered a new partnership on borrowed trust")),
    (re.compile(r"Emergency rules let (A\d+) and A\d+ form a partnership"),
     lambda n, who, when: (f"{n} partnerships formed under emergency rules {when}" if n > 1
                           else "Emergency rules let two agencies form a partnership")),
)
PROMISES = 3  # one line for all of a week's broken promises
#: Groups counted whatever their details (the agencies of a promise or an introduction).
_POOLED = (PROMISES, 4, 5)


def _grouped(notes: list[str], when: str = "this week") -> list[str]:
    """One line per kind of note: repeated ones counted, their agencies listed; stage
    changes before broken promises, other notes first."""
    out: list[str] = []
    groups: dict[tuple, list[str]] = defaultdict(list)
    for text in map(short_names, notes):
        for i, (pattern, _) in enumerate(_GROUPS):
            if match := pattern.fullmatch(text):
                rest = () if i in _POOLED else match.groups()[1:]
                groups[(i, *rest)].append(match.group(1))
                break
        else:
            out.append(text)
    for (i, *rest), who in sorted(groups.items(), key=lambda kv: kv[0][0]):
        names = ", ".join(dict.fromkeys(who))
        out.append(_GROUPS[i][1](len(who), names, *rest, when))
    return out


def _trend(df: Any, column: str, row: int) -> float:
    """Change of ``column`` over the four weeks up to ``row`` (0 before week 4)."""
    return float(df[column].iloc[row] - df[column].iloc[row - 4]) if row >= 4 else 0.0


def _busiest(df: Any, row: int) -> str | None:
    hours = {c.removeprefix("hours_"): df[c].iloc[row] for c in df.columns
             if c.startswith("hours_")}
    name, most = max(hours.items(), key=lambda kv: kv[1], default=(None, 0))
    return name.replace("_", " ") if most > 0 else None


def trust_lines(model: Any, df: Any, row: int) -> list[str]:
    """A line when trust on a kind of tie starts to rise or fall (4-week change crosses
    TREND), naming the interaction type the ISPs spent most hours on that week."""
    lines = []
    for kind, words in TIE_WORDS.items():
        column = f"trust_{kind}_mean"
        if column not in df:
            continue
        now, before = _trend(df, column, row), _trend(df, column, row - 1)
        if abs(now) >= TREND and (abs(before) < TREND or now * before < 0):
            way = "rising" if now > 0 else "falling"
            line = f"{words} is {way} ({now:+.2f} in four weeks)"
            if kind == "agency_isp" and (busy := _busiest(df, row)):
                line += f"; most ISP hours went to {busy}"
            lines.append(line)
    return lines


def timeline_lines(model: Any, week: int) -> list[str]:
    """The crisis starting, growing or ending, and a strategy switch taking effect."""
    now, before = crisis_at(model, week), crisis_at(model, week - 1) if week else 0.0
    lines = []
    if now > 0 and before == 0:
        lines.append(f"A crisis hits (intensity {now:.2f}, until week "
                     f"{crisis_end(model, week)})")
    elif now == 0 and before > 0:
        lines.append("The crisis is over: watch whether trust and adoption hold")
    elif now > before + 0.05 and week:
        lines.append(f"The crisis deepens to intensity {now:.2f}")
    for e in events_of(model):
        if e["kind"] == "strategy_switch" and e["week"] == week:
            lines.append(f"ISPs switch to {mix_label(e['strategy_mix'])}: trust answers "
                         "over the next weeks, adoption later")
    return lines


def _notes(model: Any, week: int) -> list[str]:
    return [text for w, text in model.log if w == week
            and not text.startswith("ISPs switch strategy")]  # said by timeline_lines


def _headlines(model: Any, week: int, df: Any) -> list[str]:
    """What explains a change in ``week``: the timeline and trends in trust."""
    row = int((df["week"] == week).to_numpy().nonzero()[0][-1]) if len(df) else -1
    lines = timeline_lines(model, week)
    return lines + (trust_lines(model, df, row) if row >= 0 else [])


def week_lines(model: Any, week: int, df: Any = None) -> list[str]:
    """Everything worth saying about ``week``, most telling first."""
    if df is None:
        df = model.datacollector.get_model_vars_dataframe()
    return _headlines(model, week, df) + _grouped(_notes(model, week))


#: Routine events are told once per this many weeks ("this month"), not every week.
MONTH = 4
#: How far back the caption history looks, in weeks.
HISTORY_WEEKS = 52


def month_line(model: Any, month: int) -> str | None:
    """A month's routine events in one line ('Weeks 8-11: 3 broken promises this month
    (A1, A4, A9) cut trust in ISPs; A2 moved on to ...'), broken promises first."""
    first, last = month * MONTH, month * MONTH + MONTH - 1
    notes = [t for w in range(first, min(last, model.week) + 1) for t in _notes(model, w)]
    parts = _grouped(notes, "this month")
    telling = [p for p in parts if "promise" in p]
    parts = telling + [p for p in parts if p not in telling]
    return f"Weeks {first}-{last}: " + "; ".join(parts) if parts else None


def captions(model: Any, n: int = 3) -> list[str]:
    """The caption strip: the latest events that explain a change (the crisis, a switch,
    a trend in trust), newest first, each 'Week w: ...', and under them one line for the
    latest month's routine events. A key line stays in view for weeks while playing;
    routine events are counted per month rather than told every week."""
    df = model.datacollector.get_model_vars_dataframe()
    heads: list[str] = []
    for week in range(model.week, max(model.week - HISTORY_WEEKS, -1), -1):
        heads += [f"Week {week}: {line}" for line in _headlines(model, week, df)]
        if len(heads) >= n:
            break
    routine = next((line for m in range(model.week // MONTH, -1, -1)
                    if (line := month_line(model, m))), None)
    return heads[:n - 1] + [routine] if routine else heads[:n]


# --- names -------------------------------------------------------------------------------


def title_of(description: str, limit: int = 70) -> str:
    """A scenario's plain-language title: its description up to the first colon or
    full stop, cut at a word boundary."""
    head = re.split(r"[:.](\s|$)", " ".join(description.split()), maxsplit=1)[0]
    return head if len(head) <= limit else head[:limit].rsplit(" ", 1)[0] + " …"


def arm_label(arm: str) -> str:
    """'top_down' -> 'Top-down support', 'co_creative' -> 'Co-creative support'."""
    words = arm.replace("_", " ").replace("top down", "top-down").replace(
        "co creative", "co-creative")
    words = words[:1].upper() + words[1:]
    return words + " support" if words.lower() in ("top-down", "co-creative") else words
