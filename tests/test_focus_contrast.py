"""The focus indicator stands out on every background of the app (issue 13, WCAG 1.4.11 and 2.4.7).

Read from static/css/app.css: the ``:focus-visible`` rule's outline colour (the ring) and its
box-shadow colour (a halo filling the outline offset, between the control and the ring), custom
properties resolved. Every background colour the stylesheet declares must be 3:1 or more from
the ring, or, for a filled control such as a button, from the halo that separates it from the
ring (the ring then 3:1 or more from the halo). The old ring, #f2a900, was 2.0:1 on white.
"""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"
MINIMUM = 3.0
HEX = r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b"


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour written #rgb or #rrggbb."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _css() -> str:
    return re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.DOTALL)


def _custom_properties(css: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;}]+?)\s*[;}]", css))


def _resolve(value: str, properties: dict[str, str]) -> str | None:
    """The hex colour a value names (itself, or through var(--name)), or None for none/transparent/other."""
    while (var := re.search(r"var\((--[\w-]+)\)", value)) is not None:
        value = value.replace(var.group(0), properties[var.group(1)])
    found = re.search(HEX, value)
    return found.group(0).lower() if found else None


def _rules(css: str) -> list[tuple[str, str]]:
    """(selector, declarations) of every rule, media queries flattened."""
    return [(selector.strip(), body) for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def focus_colours() -> tuple[str, str | None]:
    css = _css()
    properties = _custom_properties(css)
    body = next(body for selector, body in _rules(css) if "button:focus-visible" in selector)
    outline = re.search(r"outline\s*:\s*([^;]+)", body)
    assert outline is not None, "the :focus-visible rule has no outline"
    ring = _resolve(outline.group(1), properties)
    assert ring is not None, f"the outline names no colour: {outline.group(1)}"
    shadow = re.search(r"box-shadow\s*:\s*([^;]+)", body)
    return ring, _resolve(shadow.group(1), properties) if shadow else None


def background_colours() -> dict[str, list[str]]:
    """Every background colour the stylesheet declares, with the selectors declaring it."""
    css = _css()
    properties = _custom_properties(css)
    colours: dict[str, list[str]] = {}
    for selector, body in _rules(css):
        for value in re.findall(r"background(?:-color)?\s*:\s*([^;]+)", body):
            if (colour := _resolve(value, properties)) is not None:
                colours.setdefault(colour, []).append(selector)
    return colours


def test_the_focus_indicator_is_three_to_one_on_every_background() -> None:
    ring, halo = focus_colours()
    backgrounds = background_colours()
    assert "#fff" in backgrounds or "#ffffff" in backgrounds, "white (cards) is among the backgrounds read"
    assert "#1b2430" in backgrounds, "the header's ink is among the backgrounds read"
    if halo is not None:
        assert contrast_ratio(ring, halo) >= MINIMUM, f"ring {ring} on halo {halo}: {contrast_ratio(ring, halo):.2f}:1"
    too_faint = []
    for colour, selectors in sorted(backgrounds.items()):
        by_ring = contrast_ratio(ring, colour)
        by_halo = contrast_ratio(halo, colour) if halo is not None else 0.0
        if max(by_ring, by_halo) < MINIMUM:
            too_faint.append(f"{colour} ({selectors[0]}): ring {by_ring:.2f}:1, halo {by_halo:.2f}:1")
    assert not too_faint, f"focus ring {ring} (halo {halo}) under {MINIMUM}:1 on:\n" + "\n".join(too_faint)


def test_the_ring_alone_is_three_to_one_on_white_the_page_and_the_header() -> None:
    ring, _ = focus_colours()
    properties = _custom_properties(_css())
    for name in ("--card", "--bg", "--ink"):
        background = _resolve(properties[name], properties)
        assert background is not None
        assert contrast_ratio(ring, background) >= MINIMUM, f"{ring} on {name} {background}"


def test_the_contrast_formula_matches_known_values() -> None:
    assert round(contrast_ratio("#000", "#fff"), 2) == 21.0
    assert round(contrast_ratio("#f2a900", "#fff"), 1) == 2.0  # the figure for the old ring
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
