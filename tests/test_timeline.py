"""The timeline's crisis intensity: week by week (a table worked out once) and over a
stretch of weeks (one array pass) give the same numbers, also after an event is added."""

import random

from sim.timeline import Timeline, parse_timeline


def _crises(rng: random.Random) -> list[dict]:
    return [dict(kind="crisis", onset=rng.randint(0, 60), duration=rng.randint(1, 60),
                 intensity=rng.random(), ramp=rng.randint(0, 20))
            for _ in range(rng.randint(0, 3))]


def test_week_by_week_equals_the_stretch_also_after_an_event_is_added():
    rng = random.Random(1)
    for _ in range(300):
        timeline = Timeline(parse_timeline(_crises(rng)))
        weeks = range(200)
        assert [timeline.crisis_intensity(w) for w in weeks] == list(timeline.crisis_over(weeks))
        timeline.add(parse_timeline([dict(kind="crisis", onset=150, duration=5)])[0])
        assert timeline.crisis_intensity(152) > 0  # the table is worked out again
        assert [timeline.crisis_intensity(w) for w in weeks] == list(timeline.crisis_over(weeks))


def test_a_ramped_crisis_rises_holds_and_is_over_at_its_end():
    timeline = Timeline(parse_timeline([dict(kind="crisis", onset=10, duration=8, ramp=2)]))
    levels = [timeline.crisis_intensity(w) for w in range(8, 21)]
    assert levels == [0, 0, 0.5, 1, 1, 1, 1, 1, 1, 0.5, 0, 0, 0]
