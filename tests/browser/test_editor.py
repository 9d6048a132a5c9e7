"""The Markdown editor: toolbar buttons and shortcuts, the server's live preview, drafts that
survive a reload and go once the form is sent. Mentions and images have their own tests below."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Contexts

TEXTAREA = "textarea[data-editor]"


def _reply_box(page: Page, thread: int = 3) -> None:
    page.goto(f"/t/{thread}")
    page.locator(TEXTAREA).wait_for()


def test_toolbar_buttons_and_shortcuts_format_the_text(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page)
    toolbar = page.get_by_role("toolbar", name="Formatting")
    area = page.locator(TEXTAREA)
    area.fill("make this strong")
    area.evaluate("el => el.setSelectionRange(10, 16)")
    toolbar.get_by_role("button", name="Bold").click()
    expect(area).to_have_value("make this **strong**")

    area.fill("")
    area.focus()
    page.keyboard.press("Control+i")
    page.keyboard.type("leaning")
    expect(area).to_have_value("_leaning_")

    area.fill("one\ntwo")
    area.evaluate("el => el.setSelectionRange(0, el.value.length)")
    toolbar.get_by_role("button", name="Bulleted list").click()
    expect(area).to_have_value("- one\n- two")
    toolbar.get_by_role("button", name="Quote").click()
    expect(area).to_have_value("> - one\n> - two")

    area.fill("see docs")
    area.evaluate("el => el.setSelectionRange(4, 8)")
    page.keyboard.press("Control+k")
    page.keyboard.type("https://example.com/docs")
    expect(area).to_have_value("see [docs](https://example.com/docs)")

    # One tab stop for the toolbar; arrow keys move between its buttons.
    toolbar.get_by_role("button", name="Bold").focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button", name="Live preview")).to_be_focused()
    tab_stops = toolbar.locator("button[tabindex='0']").count()
    assert tab_stops == 1


def test_live_preview_is_rendered_by_the_server(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page)
    preview = page.get_by_role("region", name="Live preview")
    expect(preview).to_be_visible()
    page.locator(TEXTAREA).fill("**Firmware** 4.3 <script>window.pwned=1</script> @priya-raman")
    expect(preview.locator("strong")).to_have_text("Firmware")
    expect(preview.locator("a.mention")).to_have_attribute("href", "/u/priya-raman")
    assert page.evaluate("() => window.pwned === undefined")
    expect(preview).to_contain_text("<script>")  # shown as text, as a saved post shows it
    page.get_by_role("button", name="Live preview").click()
    expect(preview).to_be_hidden()


def test_a_draft_survives_a_reload_and_goes_once_posted(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page, 4)
    text = "Draft kept across a reload: check the SIP ALG setting first (editor test)."
    page.locator(TEXTAREA).fill(text)
    page.wait_for_timeout(600)  # the draft is saved after a short pause in typing
    page.reload()
    expect(page.locator(TEXTAREA)).to_have_value(text)
    expect(page.get_by_text("Your draft is back.")).to_be_visible()

    # Another thread's reply box does not get it.
    other = contexts.new("partner")
    _reply_box(other, 5)
    expect(other.locator(TEXTAREA)).to_have_value("")

    page.locator("form:has(textarea[data-editor])").get_by_role(
        "button", name=re.compile("^Post your")
    ).click()
    expect(page.locator("article.post", has_text=text)).to_be_visible()
    expect(page.locator(TEXTAREA)).to_have_value("")
    page.reload()
    expect(page.locator(TEXTAREA)).to_have_value("")
    drafts = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('community-draft:'))")
    assert drafts == [], drafts


def test_forms_still_work_without_javascript(contexts: Contexts) -> None:
    page = contexts.new("partner", java_script_enabled=False)
    page.goto("/t/3")
    expect(page.get_by_role("toolbar")).to_have_count(0)
    page.get_by_label("Text").fill("Posted without scripts: the plain form still works (editor test).")
    page.get_by_role("button", name=re.compile("^Post your")).click()
    expect(page.locator("article.post", has_text="Posted without scripts")).to_be_visible()
