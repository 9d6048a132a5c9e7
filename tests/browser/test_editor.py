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


def test_the_preview_says_who_a_mention_will_not_reach(contexts: Contexts) -> None:
    """Asking privately, a partner mentioning someone of another organisation is told at once."""
    page = contexts.new("partner")
    page.goto("/ask")
    page.get_by_label("Category").select_option(index=1)
    page.locator(TEXTAREA).fill("Has anyone seen this, @chloe-martin or @hannah-becker?")
    preview = page.get_by_role("region", name="Live preview")
    expect(preview.locator("a.mention").first).to_be_visible()
    expect(preview).not_to_contain_text("cannot see")
    page.get_by_label("Ask privately").check()
    told = "Chloe Martin cannot see this question, so the mention will not reach them."
    expect(preview).to_contain_text(told)
    page.get_by_label("Ask privately").uncheck()
    expect(preview).not_to_contain_text("cannot see")


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


def test_mention_completion_by_keyboard(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page)
    area = page.locator(TEXTAREA)
    area.focus()
    page.keyboard.type("First line.\nSecond line.\nThanks @gr")
    listbox = page.get_by_role("listbox", name="People to mention")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("Grace Okafor")
    # It opens under the line being typed, inside the text box: not over the label above it.
    # (Both boxes read at one moment: the page may scroll to keep the chosen option in sight.)
    box, found, line = listbox.evaluate(
        """el => { const area = document.querySelector('textarea[data-editor]');
          return [area.getBoundingClientRect().top, el.getBoundingClientRect().top,
                  parseFloat(getComputedStyle(area).lineHeight)]; }"""
    )
    assert box + 2 * line < found < box + 5 * line, (box, found, line)
    page.keyboard.press("Control+a")
    page.keyboard.type("Thanks @gr")
    expect(options.first).to_contain_text("Grace Okafor")
    # The text box keeps the focus and names the active option.
    active = area.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    expect(area).to_have_value("Thanks @grace-okafor ")
    expect(page.get_by_role("listbox", name="People to mention")).to_be_hidden()
    page.keyboard.type("and @")
    expect(options.first).to_be_visible()  # in a thread: its participants, before anything is typed
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox", name="People to mention")).to_be_hidden()
    expect(area).to_have_value("Thanks @grace-okafor and @")


def test_tag_completion_by_keyboard(contexts: Contexts) -> None:
    page = contexts.new("partner")
    page.goto("/ask")
    tags = page.get_by_label("Tags")
    tags.focus()
    page.keyboard.type("vpn, rout")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option").first).to_contain_text("router-x200")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    expect(tags).to_have_value("vpn, router-x200, ")


MAKE_FILE_JS = """async (name) => {
  const canvas = document.createElement('canvas');
  canvas.width = 120; canvas.height = 80;
  const g = canvas.getContext('2d');
  g.fillStyle = '#1f5fbf'; g.fillRect(0, 0, 120, 80);
  const blob = await new Promise(done => canvas.toBlob(done, 'image/png'));
  window.__file = new File([blob], name, {type: 'image/png'});
}"""
PASTE_JS = """() => {
  const dt = new DataTransfer(); dt.items.add(window.__file);
  const area = document.querySelector('textarea[data-editor]');
  area.focus();
  area.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
}"""
DROP_JS = """() => {
  const dt = new DataTransfer(); dt.items.add(window.__file);
  const area = document.querySelector('textarea[data-editor]');
  area.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
  area.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""
IMAGE_MD = re.compile(r"!\[([^\]]*)\]\((/images/[0-9a-f]{40}\.(?:png|jpg))\)")


def test_an_image_pasted_or_dropped_is_uploaded_and_shown(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page, 6)
    area = page.locator(TEXTAREA)
    area.fill("Before the picture.\n")
    area.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    page.evaluate(MAKE_FILE_JS, "image.png")
    page.evaluate(PASTE_JS)
    expect(area).to_have_value(IMAGE_MD)
    pasted = IMAGE_MD.search(area.input_value())
    assert pasted and pasted.group(1) == "image"
    # The preview shows the stored picture (served by the site, so the page's CSP allows it).
    preview_image = page.get_by_role("region", name="Live preview").locator(f"img[src='{pasted.group(2)}']")
    expect(preview_image).to_be_visible()
    assert preview_image.evaluate("img => img.complete && img.naturalWidth") == 120

    page.evaluate(MAKE_FILE_JS, "switch-ports.png")
    page.evaluate(DROP_JS)
    expect(area).to_have_value(re.compile(r"!\[switch ports\]\(/images/"))
    page.get_by_role("button", name=re.compile("^Post your")).click()
    post = page.locator("article.post", has_text="Before the picture.")
    # The same picture twice is one stored file (named by its content).
    expect(post.get_by_role("img", name="image")).to_have_attribute("src", pasted.group(2))
    expect(post.get_by_role("img", name="switch ports")).to_have_attribute("src", pasted.group(2))


def test_the_toolbar_image_button_opens_a_file_chooser(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page, 6)
    area = page.locator(TEXTAREA)
    area.fill("Text before a refused picture.")
    area.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("toolbar", name="Formatting").get_by_role("button", name="Image").click()
    chooser.value.set_files(
        files=[{"name": "not-an-image.png", "mimeType": "image/png", "buffer": b"<html>not a picture</html>"}]
    )
    expect(page.get_by_text("This is not an image we can take")).to_be_visible()
    # The text is as it was: neither the placeholder nor the lines it came with are left behind.
    expect(area).to_have_value("Text before a refused picture.")


def test_the_form_waits_for_an_image_still_uploading(contexts: Contexts) -> None:
    page = contexts.new("partner")
    _reply_box(page, 7)
    held = []
    page.route("**/images", lambda route: held.append(route))
    area = page.locator(TEXTAREA)
    area.fill("Waiting for the picture (editor test).\n")
    area.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    page.evaluate(MAKE_FILE_JS, "wait.png")
    page.evaluate(PASTE_JS)
    expect(area).to_have_value(re.compile("Uploading wait.png"))
    page.get_by_role("button", name=re.compile("^Post your")).click()
    expect(page.get_by_text("Please wait: an image is still uploading.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Post your"))).to_be_enabled()
    assert held, "the upload never left"
    held[0].continue_()
    expect(area).to_have_value(re.compile(r"!\[wait\]\(/images/"))
    page.get_by_role("button", name=re.compile("^Post your")).click()
    expect(
        page.locator("article.post", has_text="Waiting for the picture").get_by_role("img", name="wait")
    ).to_be_visible()
