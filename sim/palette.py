"""One visual language for the dashboard, ``trustsim run`` figures and animations.

Colours come from Okabe & Ito (2008), "Color Universal Design", which stays
distinguishable under the common colour-vision deficiencies. Each hue means one thing:
stages fill agency nodes (white to blue), trust colours ties (dark grey dashed low,
bluish green high), crisis is always a grey shade, and interaction types get their own list.
"""

from __future__ import annotations

from matplotlib.colors import LinearSegmentedColormap

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7", "black": "#000000", "grey": "#999999",
}

#: Implementation stages, light to dark as agencies go further (NIRN).
STAGE_COLOURS = {
    "exploration": "#FFFFFF",
    "installation": OKABE_ITO["yellow"],
    "initial_implementation": OKABE_ITO["orange"],
    "full_implementation": OKABE_ITO["sky_blue"],
    "sustainment": OKABE_ITO["blue"],
    "abandoned": OKABE_ITO["grey"],
}

#: Trust on ties: low dark grey (dashed), high bluish green; no stage uses these hues.
TRUST_LOW, TRUST_HIGH = "#333333", OKABE_ITO["bluish_green"]
TRUST_CMAP = LinearSegmentedColormap.from_list("trust", [TRUST_LOW, "#BBBBBB", TRUST_HIGH])

#: Crisis weeks are shaded in this grey everywhere (alpha CRISIS_ALPHA: 3.1:1 against
#: white, WCAG's figure for graphics, so a poor projector still shows it); planned weeks
#: are hatched in it (PLANNED_HATCH), lighter overall but with lines as dark.
CRISIS_FILL = "#595959"
CRISIS_ALPHA = 0.65
PLANNED_HATCH = "//"


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a '#RRGGBB' colour."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two '#RRGGBB' colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def over_white(colour: str, alpha: float) -> str:
    """``colour`` at ``alpha`` over white, as the opaque colour the eye sees."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(255 - alpha * (255 - c)):02X}" for c in channels)

#: Arms and family groups (lines): Okabe-Ito in an order that starts with the strongest.
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
          "#000000")

#: Interaction types (stacked areas): ten colours, one light pink at most, each
#: distinguishable from its neighbours on a projector.
INTERACTION_COLOURS = ("#0072B2", "#56B4E9", "#009E73", "#F0E442", "#E69F00", "#D55E00",
                       "#CC79A7", "#000000", "#999999", "#882255")


def stage_colour(stage: str | None) -> str:
    return STAGE_COLOURS.get(stage or "exploration", "#FFFFFF")
