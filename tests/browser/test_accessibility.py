"""axe-core on the main pages (pages.MAIN_PAGES) at desktop and phone widths: nothing serious or
critical, nor the moderate heading-order and landmark-unique the trial found.

axe-core comes from the npm registry into a cache directory (conftest.axe_source); the test skips,
saying so, only when it cannot be had.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Contexts, axe_source
from tests.browser.pages import MAIN_PAGES

# Moderate rules the trial reported, held to like the serious ones once fixed.
TRIAL_MODERATE = {"heading-order", "landmark-unique"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def axe() -> str:
    source = axe_source()
    if source is None:
        pytest.skip("axe-core could not be installed from the npm registry (npm missing or offline)")
    return source


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_no_serious_accessibility_violation_on_the_main_pages(
    contexts: Contexts, axe: str, viewport: dict[str, int]
) -> None:
    pages = {}
    found = []
    moderate = []
    for name, path, who in MAIN_PAGES:
        if who not in pages:
            pages[who] = contexts.new(who, viewport=viewport, bypass_csp=True)  # axe is injected inline
        page = pages[who]
        page.goto(path)
        page.add_script_tag(content=axe)
        for v in page.evaluate(RUN_AXE):
            line = f"{name}: {v['id']} ({v['impact']}) at {', '.join(v['nodes'])}"
            failing = v["impact"] in ("serious", "critical") or v["id"] in TRIAL_MODERATE
            (found if failing else moderate).append(line)
    if moderate:
        print("\nmoderate or minor (not failing):\n  " + "\n  ".join(moderate))
    assert not found, "\n".join(found)
