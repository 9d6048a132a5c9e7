"""Journey: an administrator invites a partner; an organisation admin invites a colleague; each
invitee opens the link in their own browser, chooses a name and password, and is in.

The product's invitations carry a role but not organisation-admin rights (those are given with
`community create-user --org-admin`), so the organisation admin here is the demo's Hannah Becker.
Done with the mouse and with the keyboard only.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Contexts
from tests.browser.keyboard import Keyboard


def accept(contexts: Contexts, link: str, name: str) -> Page:
    page = contexts.new()  # a browser nobody is signed in to
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Join"))
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill("a long new password 1")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(lambda url: "/invitations/" not in url)
    return page


def test_admin_invites_a_partner_and_an_org_admin_invites_a_colleague(contexts: Contexts) -> None:
    admin = contexts.new("admin")
    admin.goto("/admin/invitations")
    admin.get_by_label("E-mail").fill("new.partner@pinecrest.example")
    admin.get_by_label("Organisation").select_option("pinecrest-computer-services")
    admin.get_by_label("Role").select_option("partner")
    admin.get_by_role("button", name="Send invitation").click()
    link = admin.locator("#invitation-link").input_value()
    partner = accept(contexts, link, "Nina Newcomer")
    expect(partner.locator(".who")).to_have_text("Nina Newcomer")

    org_admin = contexts.new("org_admin")
    org_admin.goto("/account/organisation")
    org_admin.get_by_label("Colleague's e-mail").fill("mia.colleague@bluewave.example")
    org_admin.get_by_role("button", name="Send invitation").click()
    link = org_admin.locator("#invitation-link").input_value()
    colleague = accept(contexts, link, "Mia Colleague")
    colleague.goto("/account/organisation")
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Bluewave Integration")
    expect(colleague.locator("main").get_by_role("link", name="Mia Colleague")).to_be_visible()


def test_org_admin_invites_a_colleague_keyboard_only(contexts: Contexts) -> None:
    org_admin = contexts.new("org_admin")
    keys = Keyboard(org_admin)
    org_admin.goto("/")
    keys.tab_to("link", "Organisation")
    keys.press("Enter")
    org_admin.wait_for_url("**/orgs/bluewave-integration")
    keys.tab_to("textbox", "Colleague's e-mail")
    keys.type("leo.keys@bluewave.example")
    keys.press("Enter")
    link_box = org_admin.locator("#invitation-link")
    expect(link_box).to_be_visible()
    link = link_box.input_value()

    newcomer = contexts.new()
    newcomer.goto(link)
    nkeys = Keyboard(newcomer)
    nkeys.tab_to("textbox", "Your name")
    nkeys.type("Leo Keys")
    nkeys.tab_to("textbox", "Choose a password")
    nkeys.type("a long new password 2")
    nkeys.press("Enter")
    newcomer.wait_for_url(lambda url: "/invitations/" not in url)
    expect(newcomer.locator(".who")).to_have_text("Leo Keys")
