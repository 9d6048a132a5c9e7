"""The channel-health dashboard as a new user saw it (the trial of 2026-12-06): its charts at phone
width, its wide tables at desktop width, and the unit of its main figure, the gap.

Before the fixes: at 360 px the page was 400 px wide (four 384 px charts), chart labels were about
5 px high, charts had no visible title and table captions were squeezed into a column ~60 px wide
("Routed / questions / per / expert"); at 1280 px the breakdown tables were ~1,600 px wide in a
928 px box with the Gap column out of sight; the breakdowns showed the gap as "50.0%".
"""

from __future__ import annotations

import re

from tests.browser.conftest import DESKTOP, PHONE, Contexts

BREAKDOWNS = ("categories", "tiers", "organisations", "weeks")


def test_charts_fit_a_phone_with_readable_labels_and_titles(contexts: Contexts) -> None:
    page = contexts.new("admin", viewport=PHONE)
    page.goto("/health")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    charts = page.locator("figure:has(svg.chart)")
    assert charts.count() == 4
    for i in range(4):
        figure = charts.nth(i)
        box = figure.bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"], f"chart {i} is {box}"
        caption = figure.locator("figcaption")
        assert caption.is_visible() and caption.inner_text().strip(), f"chart {i} has no visible title"
        # The smallest axis label, as drawn on the screen.
        heights = figure.locator("svg text").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 10, f"chart {i}: labels {min(heights):.1f} px high"
    # Table captions read across the card, not one word per line.
    for caption in page.locator("table.health-table caption").all():
        box = caption.bounding_box()
        assert box and box["width"] >= 250, f"caption {caption.inner_text()!r} is {box['width']:.0f} px wide"


def test_the_gap_column_is_in_sight_and_wide_tables_scroll_by_keyboard(contexts: Contexts) -> None:
    page = contexts.new("admin", viewport=DESKTOP)
    page.goto("/health")
    for key in BREAKDOWNS:
        table = page.locator(f"#table-{key}")
        wrapper = page.locator(f".table-scroll:has(#table-{key})")
        assert wrapper.get_attribute("tabindex") == "0"
        assert wrapper.get_attribute("role") == "region"
        assert wrapper.get_attribute("aria-label")
        gap = table.locator("thead th", has_text="Gap")
        outer, head = wrapper.bounding_box(), gap.bounding_box()
        assert outer and head
        assert head["x"] + head["width"] <= outer["x"] + outer["width"], (
            f"{key}: the Gap column ends at {head['x'] + head['width']:.0f} px, "
            f"the box at {outer['x'] + outer['width']:.0f} px"
        )


def test_the_gap_reads_in_points_with_a_sign_everywhere(contexts: Contexts) -> None:
    points = re.compile(r"^[+\u2212-]\d+\.\d points$|^\u2014$")
    for viewport in (DESKTOP, PHONE):
        page = contexts.new("admin", viewport=viewport)
        page.goto("/health")
        for key in BREAKDOWNS:
            table = page.locator(f"#table-{key}")
            heads = table.locator("thead th").all_inner_texts()
            column = next(i for i, h in enumerate(heads) if h.startswith("Gap"))
            gaps = table.locator(f"tbody tr > :nth-child({column + 1})")
            cells = gaps.all_inner_texts()
            assert cells and all(points.match(c.strip()) for c in cells), f"{key}: {cells}"
            if viewport is PHONE:  # the card says what the value is
                label = gaps.first.get_attribute("data-label")
                assert label and label.startswith("Gap")


def test_the_rating_tables_fit_a_desktop_column_with_every_column_in_sight(contexts: Contexts) -> None:
    """The trial: at 1280 px the breakdown tables were 1,036 px wide in a 928 px column, the
    experts' ratings and mean out of sight behind a sideways scroll although the window had room."""
    page = contexts.new("admin", viewport=DESKTOP)
    page.goto("/health")
    for key in BREAKDOWNS:
        wrapper = page.locator(f".table-scroll:has(#table-{key})")
        widths = wrapper.evaluate(
            "el => [el.scrollWidth, el.clientWidth, [...el.querySelectorAll('thead th')].map("
            "th => Math.round(th.getBoundingClientRect().width))]"
        )
        assert widths[0] <= widths[1], (
            f"{key}: {widths[0]} px of table in a {widths[1]} px box, columns {widths[2]}"
        )
