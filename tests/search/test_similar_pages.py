"""Similar questions on the ask form (a script fed by the JSON endpoint) and "Related" on the
thread page."""

from __future__ import annotations

import re
from pathlib import Path

from community.forum import threads
from tests.search.conftest import Corpus
from tests.web.helpers import login_as as login

ROOT = Path(__file__).resolve().parent.parent.parent


def related(html: str) -> list[int]:
    section = re.search(r'<aside class="related".*?</aside>', html, re.S)
    return [int(n) for n in re.findall(r'href="/t/(\d+)"', section.group(0))] if section else []


async def test_the_ask_form_loads_the_similar_questions_script(client, world) -> None:
    await login(client, world.partner)
    html = (await client.get("/ask")).text
    assert '<script src="/static/js/similar.js" defer></script>' in html
    title = re.search(r'<input id="f-title"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert 'data-similar-url="/api/v1/search/similar"' in title
    assert 'data-similar-list="similar-questions"' in title
    assert '<section class="similar-questions" id="similar-questions" aria-live="polite" hidden>' in html
    script = await client.get("/static/js/similar.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_the_script_never_inserts_html() -> None:
    """Titles go in as text: the script must not build markup from the answer."""
    source = (ROOT / "static" / "js" / "similar.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "textContent = item.title" in source
    assert "setTimeout" in source  # debounced


async def test_related_threads_on_the_thread_page(client, world, corpus: Corpus, indexer) -> None:  # type: ignore[no-untyped-def]
    twin = await threads.create_thread(
        world.actor(world.expert), category="general", kind="question",
        title="Router bricked after a firmware upgrade", body="Power LED blinks red after the upgrade.",
    )  # fmt: skip
    gold_twin = await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question",
        title="Firmware upgrade bricked the gold router", body="Same as the public one, on a gold unit.",
    )  # fmt: skip
    await indexer.drain()

    await login(client, world.partner)
    html = (await client.get(f"/t/{corpus.firmware.id}")).text
    assert '<h2 id="related-heading">Related</h2>' in html
    assert set(related(html)) == {twin.id, gold_twin.id}  # never the thread itself

    await login(client, world.silver_partner)
    html = (await client.get(f"/t/{corpus.firmware.id}")).text
    assert related(html) == [twin.id]
    assert "gold router" not in html


async def test_no_related_section_when_nothing_is_alike(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = (await client.get(f"/t/{corpus.training.id}")).text
    assert 'class="related"' not in html


async def test_the_thread_page_still_shows_when_search_fails(client, world, corpus: Corpus, app) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("index unavailable")

    app.state.search.similar = broken
    await login(client, world.partner)
    response = await client.get(f"/t/{corpus.deal.id}")
    assert response.status_code == 200 and "multi-site customer" in response.text
