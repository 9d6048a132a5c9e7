"""Journey: a member posts something unwelcome, a partner flags it, the item arrives live in the
review queue a moderator has open, the moderator hides the post and silences the author, and the
flagger and the author hear the outcome through the bell (which counts up without a reload).

Done twice: with the mouse, and with the keyboard only.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import Contexts, LiveDelay
from tests.browser.keyboard import Keyboard

LIVE = "html[data-live='live']"
THREAD = "/t/17"  # "Are the online training modules available in German?" (everyone may read it)


def unread(page: Page) -> int:
    return int(page.locator("#bell").get_attribute("data-unread") or 0)


def post_reply(page: Page, text: str) -> None:
    page.goto(THREAD)
    page.get_by_label("Text").fill(text)
    page.get_by_role("button", name=re.compile("^Post your")).click()
    expect(page.locator("article.post", has_text=text)).to_be_visible()


def test_flag_live_queue_decide_silence_outcome_in_bell(contexts: Contexts) -> None:
    author = contexts.new("registered")
    flagger = contexts.new("partner")
    moderator = contexts.new("moderator")
    spam = "Exam vouchers for sale, message me on another site! (journey-mouse)"
    post_reply(author, spam)

    moderator.goto("/moderation/queue")
    moderator.wait_for_selector(LIVE, state="attached")
    flagger.goto(THREAD)
    flagger.wait_for_selector(LIVE, state="attached")
    author.wait_for_selector(LIVE, state="attached")
    flagger_unread, author_unread = unread(flagger), unread(author)

    flagger.locator("article.post", has_text=spam).get_by_role("link", name="Flag").click()
    flagger.get_by_label("Spam").check()
    flagger.get_by_label("Note for moderators").fill("Selling vouchers")
    delay = LiveDelay(moderator, "table.queue tr.live-new", "Flagged: Spam", flagger, "/flag")
    started = time.monotonic()
    flagger.get_by_role("button", name="Flag").click()

    row = moderator.locator("table.queue tr.live-new", has_text="Flagged: Spam")
    expect(row).to_be_visible()
    print(
        f"\nflag shown live in the review queue {1000 * (time.monotonic() - started):.0f} ms after the "
        f"click, {delay.ms():.0f} ms after the server answered the flag form"
    )
    # A row that arrives live is labelled like the others (phones show each row as a labelled card).
    expect(row.locator("td").first).to_have_attribute("data-label", "Item")
    row.get_by_role("link").first.click()
    item_url = moderator.url
    moderator.get_by_text("Warn, silence or suspend the author").click()
    moderator.locator("input[name=kind][value=silence]").check()
    moderator.get_by_label("For how long").select_option(label="7 days")
    moderator.locator("#sanction-f-reason").fill("Repeated advertising")
    with moderator.expect_navigation(url=item_url):
        moderator.get_by_role("button", name="Apply").click()

    moderator.locator("input[name=decision][value=hide]").check()
    moderator.locator("#f-reason").fill("Advertising outside the programme")
    moderator.get_by_role("button", name="Decide").click()
    moderator.wait_for_url("**/moderation/queue")
    expect(moderator.locator(f"tr[data-item-id='{item_url.rsplit('/', 1)[1]}']")).to_have_count(0)

    # The bells count up live; the notification centre says what happened.
    expect(flagger.locator("#bell")).not_to_have_attribute("data-unread", str(flagger_unread))
    flagger.locator("#bell").click()
    expect(flagger.get_by_text(re.compile("agreed with your flag and hid the post")).first).to_be_visible()

    expect(author.locator("#bell")).not_to_have_attribute("data-unread", str(author_unread))
    author.locator("#bell").click()
    expect(author.get_by_text(re.compile("hid your post")).first).to_be_visible()
    expect(author.get_by_text(re.compile("Your account is silenced")).first).to_be_visible()
    author.goto(THREAD)
    expect(author.get_by_text(re.compile("silenced your account"))).to_be_visible()
    expect(author.get_by_role("button", name=re.compile("^Post your"))).to_have_count(0)


def test_flag_decide_silence_keyboard_only(contexts: Contexts) -> None:
    author = contexts.new("silver")
    flagger = contexts.new("partner")
    moderator = contexts.new("moderator")
    spam = "Visit my shop for grey-market Switch S48 units (journey-keyboard)"
    post_reply(author, spam)

    moderator.goto("/moderation/queue")
    moderator.wait_for_selector(LIVE, state="attached")
    flagger.goto(THREAD)
    flagger.wait_for_selector(LIVE, state="attached")
    flagger_unread = unread(flagger)

    keys = Keyboard(flagger)
    post_id = flagger.locator("article.post", has_text=spam).get_attribute("id")
    keys.tab_to(selector=f"#{post_id} a.flag")
    keys.press("Enter")
    flagger.wait_for_url("**/flag")
    keys.tab_to("radio", "")  # the first reason; arrow keys choose within the group
    keys.press("Space")
    expect(flagger.get_by_label("Spam")).to_be_checked()
    keys.tab_to("button", "Flag")
    keys.press("Enter")
    flagger.wait_for_url(re.compile(r"/t/17"))

    mkeys = Keyboard(moderator)
    row = moderator.locator("table.queue tr.live-new", has_text="Flagged: Spam")
    expect(row).to_be_visible()
    item_href = row.get_by_role("link").first.get_attribute("href")
    mkeys.tab_to(selector=f"a[href='{item_href}']")
    mkeys.press("Enter")
    moderator.wait_for_url("**/moderation/items/*")
    item_url = moderator.url
    mkeys.tab_to("button", "Warn, silence or suspend the author")
    mkeys.press("Enter")
    mkeys.tab_to(selector="input[name=kind]")  # the group's first; arrow keys choose within it
    mkeys.press("ArrowDown")  # warn -> silence
    expect(moderator.locator("input[name=kind][value=silence]")).to_be_checked()
    mkeys.tab_to(selector="#sanction-f-reason")
    mkeys.type("Grey-market advertising")
    with moderator.expect_navigation(url=item_url):
        mkeys.press("Enter")  # submits the form

    mkeys.tab_to(selector="input[name=decision]")  # the group's first; arrow keys choose within it
    hide = moderator.locator("input[name=decision][value=hide]")
    for _ in range(6):
        mkeys.press("ArrowDown")
        if hide.is_checked():
            break
    expect(hide).to_be_checked()
    mkeys.tab_to(selector="#f-reason")
    mkeys.type("Grey-market advertising")
    mkeys.tab_to("button", "Decide")
    mkeys.press("Enter")
    moderator.wait_for_url("**/moderation/queue")

    expect(flagger.locator("#bell")).not_to_have_attribute("data-unread", str(flagger_unread))
    fkeys = Keyboard(flagger)
    fkeys.tab_to(selector="#bell")
    fkeys.press("Enter")
    flagger.wait_for_url("**/notifications")
    expect(flagger.get_by_text(re.compile("agreed with your flag and hid the post")).first).to_be_visible()
