"""Keyboard shortcuts for the dashboard: a trainer at a projector keeps one hand on the
keyboard. Space plays or pauses, the right arrow steps a week, C calls a crisis now.
Keys typed into a field or pressed on a slider stay theirs (a slider's arrows move it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import solara

#: Key (as the browser names it) -> the dashboard action it triggers.
SHORTCUTS = {" ": "play", "ArrowRight": "step", "c": "crisis", "C": "crisis"}
#: In words, for the page and the docs.
SHORTCUT_HELP = "Keys: space play/pause · → step · C crisis now"


@solara.component_vue(str(Path(__file__).with_name("keys.vue")))
def KeyListener(watched: list[str], event_key: Callable[[str], None]):
    """Listens on the whole page and reports the keys in ``watched``."""


@solara.component
def Shortcuts(actions: dict[str, Callable[[], None]]):
    """The page's shortcuts, each calling ``actions[SHORTCUTS[key]]`` when there is one."""

    def pressed(key: str) -> None:
        action = actions.get(SHORTCUTS.get(key, ""))
        if action is not None:
            action()

    KeyListener(watched=list(SHORTCUTS), event_key=pressed)
