"""Journey: a partner asks (and is shown similar questions), an expert answers while the partner
watches the thread live in another browser, the partner accepts, the expert promotes the answer to
the knowledge base, and the partner finds the article there and through search.

Done twice: with the mouse, and with the keyboard only (Tab, typing, Enter, Space).
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import Contexts, LiveDelay
from tests.browser.keyboard import Keyboard

LIVE = "html[data-live='live']"


def test_ask_answer_live_accept_promote_find(contexts: Contexts) -> None:
    asker = contexts.new("partner")
    expert = contexts.new("expert")

    asker.goto("/")
    asker.get_by_role("link", name="Ask a question").click()
    asker.get_by_label("Category").select_option(label="Product setup")
    asker.get_by_label("Title").fill("Router X200 BGP neighbour flaps after the firmware upgrade")
    similar = asker.locator("#similar-questions")
    expect(similar).to_be_visible()
    expect(similar.get_by_role("link", name=re.compile("BGP session to the ISP drops")).first).to_be_visible()
    asker.get_by_label("Details").fill(
        "Since 4.3.0 the eBGP neighbour to our upstream flaps every few minutes."
    )
    asker.get_by_label("Tags").fill("router-x200, bgp")
    asker.get_by_role("button", name="Post").click()
    expect(asker.get_by_role("heading", level=1)).to_have_text(
        re.compile("neighbour flaps after the firmware")
    )
    thread_url = asker.url
    asker.wait_for_selector(LIVE, state="attached")

    answer = "Lower the hold timer only on both sides: 4.3.0 rejects a mismatched hold time (journey-mouse)."
    expert.goto(thread_url)
    expert.get_by_label("Text").fill(answer)
    delay = LiveDelay(asker, "article.post", answer, expert, "/reply")
    started = time.monotonic()
    expert.get_by_role("button", name="Post your answer").click()
    arrived = asker.locator("article.post", has_text=answer)
    expect(arrived).to_be_visible()
    print(
        f"\nanswer shown live to the asker {1000 * (time.monotonic() - started):.0f} ms after the click, "
        f"{delay.ms():.0f} ms after the server answered the expert's form"
    )

    asker.reload()
    asker.locator("article.post", has_text=answer).get_by_role("button", name="Accept this answer").click()
    expect(asker.locator("article.post.accepted", has_text=answer)).to_be_visible()

    expert.reload()
    expert.locator("article.post", has_text=answer).get_by_role("link", name="Mark best practice").click()
    expert.get_by_label("Title").fill("Router X200 4.3.0: BGP neighbour flaps (hold timer mismatch)")
    expert.locator("button[name=action][value=save]").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(re.compile("hold timer mismatch"))

    find_article(asker, "hold timer mismatch")


def find_article(page: Page, title_part: str) -> None:
    """The knowledge base lists it, and search finds it (the index catches up within seconds)."""
    page.goto("/kb")
    expect(page.get_by_role("link", name=re.compile(title_part)).first).to_be_visible()
    deadline = time.monotonic() + 10
    while True:
        page.goto("/search?q=" + title_part.replace(" ", "+"))
        hit = page.locator(".search-results").get_by_role("link", name=re.compile(title_part))
        if hit.count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(hit.first).to_be_visible()
    hit.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(title_part))


def test_ask_answer_accept_promote_keyboard_only(contexts: Contexts) -> None:
    asker = contexts.new("partner")
    expert = contexts.new("expert")
    keys = Keyboard(asker)

    asker.goto("/")
    keys.tab_to("link", "Ask a question")
    keys.press("Enter")
    asker.wait_for_url("**/ask")
    keys.tab_to("combobox", "Category")
    keys.type("Training")
    expect(asker.get_by_label("Category")).to_have_value("training")
    keys.tab_to("textbox", "Title")
    keys.type("Online training modules for the Switch S48 in German?")
    expect(asker.locator("#similar-questions")).to_be_visible()
    keys.tab_to("textbox", "Details")
    keys.type("Do the Switch S48 modules exist in German for our new hires?")
    keys.tab_to("button", "Post")
    keys.press("Enter")
    expect(asker.get_by_role("heading", level=1)).to_have_text(re.compile("Switch S48 in German"))
    thread_url = asker.url
    asker.wait_for_selector(LIVE, state="attached")

    answer = "Yes: switch the course language in the learning portal (journey-keyboard)."
    expert.goto(thread_url)
    ekeys = Keyboard(expert)
    ekeys.tab_to("textbox", "Text")
    ekeys.type(answer)
    ekeys.tab_to("button", "Post your answer")
    ekeys.press("Enter")
    expect(asker.locator("article.post", has_text=answer)).to_be_visible()

    asker.reload()
    keys.tab_to("button", "Accept this answer")
    keys.press("Enter")
    expect(asker.locator("article.post.accepted", has_text=answer)).to_be_visible()

    expert.reload()
    ekeys.tab_to("link", "Mark best practice")
    ekeys.press("Enter")
    expert.wait_for_url("**/promote")
    ekeys.tab_to("textbox", "Title")
    expert.keyboard.press("Control+A")
    ekeys.type("Switch S48 training in German")
    ekeys.tab_to(selector="button[name=action][value=save]")
    ekeys.press("Enter")
    expect(expert.get_by_role("heading", level=1)).to_have_text("Switch S48 training in German")

    find_article(asker, "Switch S48 training in German")
