"""The administrators' mail viewer shows a mail's HTML part as a mail program would, and safely:
in a sandboxed frame where scripts do not run and links open in a new tab (trial: only the plain
text was shown, and its links could not be clicked)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Contexts

NAME = "0123456789abcdef0123456789abcdef.eml"
HTML = """<p id="greeting">Hello from the mail</p>
<p><a id="link" href="{url}/kb">Open the knowledge base</a></p>
<script>document.getElementById("greeting").textContent = "script ran";
try {{ parent.document.title = "owned"; }} catch (e) {{}}</script>"""


def write_mail(outbox: Path, url: str) -> None:
    message = EmailMessage()
    message["From"] = "community@example.com"
    message["To"] = "reader@example.com"
    message["Subject"] = "A mail with both parts"
    message["Message-ID"] = "<0123456789abcdef0123456789abcdef@example.com>"
    message.set_content(f"Hello from the mail. The knowledge base: {url}/kb")
    message.add_alternative(HTML.format(url=url), subtype="html")
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / NAME).write_bytes(bytes(message))


def test_the_html_part_shows_in_a_sandbox_without_scripts_and_its_links_open_a_new_tab(
    contexts: Contexts,
) -> None:
    server = contexts.server
    write_mail(Path(server.env["COMMUNITY_DATA_DIR"]) / "mail" / "outbox", server.url)
    admin = contexts.new("admin")
    admin.goto("/admin/outbox")
    admin.get_by_role("link", name="A mail with both parts").click()
    title = admin.title()
    frame = admin.frame_locator("iframe.mail-html")
    expect(frame.locator("#greeting")).to_have_text("Hello from the mail")  # the script did not run
    assert admin.title() == title
    with admin.context.expect_page() as opened:
        frame.locator("#link").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{server.url}/kb"
    # The plain-text part's address is a link too.
    expect(admin.locator("pre.mail-text a", has_text=f"{server.url}/kb")).to_have_attribute(
        "target", "_blank"
    )
