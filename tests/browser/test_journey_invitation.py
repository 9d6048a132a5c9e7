"""Journey: an administrator invites a partner as their organisation's admin; that new admin
invites a colleague from the organisation's page; each invitee opens the link in their own browser,
chooses a name and password, and is in (the colleague as a member of the same organisation).

Done with the mouse and with the keyboard only.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Contexts
from tests.browser.keyboard import Keyboard

PASSWORD = "a long new password 1"


def accept(contexts: Contexts, link: str, name: str) -> Page:
    page = contexts.new()  # a browser nobody is signed in to
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Join"))
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(lambda url: "/invitations/" not in url)
    return page


def accept_by_keyboard(contexts: Contexts, link: str, name: str) -> Page:
    page = contexts.new()
    page.goto(link)
    keys = Keyboard(page)
    keys.tab_to("textbox", "Your name")
    keys.type(name)
    keys.tab_to("textbox", "Choose a password")
    keys.type(PASSWORD)
    keys.press("Enter")
    page.wait_for_url(lambda url: "/invitations/" not in url)
    expect(page.locator(".who")).to_have_text(name)
    return page


def test_admin_invites_an_org_admin_who_invites_a_colleague(contexts: Contexts) -> None:
    admin = contexts.new("admin")
    admin.goto("/admin/invitations")
    admin.get_by_label("E-mail").fill("nina.lead@pinecrest.example")
    admin.get_by_label("Organisation", exact=True).select_option("pinecrest-computer-services")
    admin.get_by_label("Role").select_option("partner")
    admin.get_by_label("Organisation admin").check()
    admin.get_by_role("button", name="Send invitation").click()
    link = admin.locator("#invitation-link").input_value()
    expect(admin.locator("tr", has_text="nina.lead@pinecrest.example")).to_contain_text(
        "Partner (organisation admin)"
    )

    org_admin = contexts.new()
    org_admin.goto(link)
    expect(org_admin.get_by_text("as the organisation's admin")).to_be_visible()
    org_admin = accept(contexts, link, "Nina Lead")
    expect(org_admin.locator(".who")).to_have_text("Nina Lead")

    org_admin.get_by_role("link", name="Organisation", exact=True).first.click()
    expect(org_admin.get_by_role("heading", level=1)).to_have_text("Pinecrest Computer Services")
    org_admin.get_by_label("Colleague's e-mail").fill("mia.colleague@pinecrest.example")
    org_admin.get_by_role("button", name="Send invitation").click()
    link = org_admin.locator("#invitation-link").input_value()
    colleague = accept(contexts, link, "Mia Colleague")
    colleague.goto("/account/organisation")
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Pinecrest Computer Services")
    members = colleague.locator("main")
    expect(members.get_by_role("link", name="Mia Colleague")).to_be_visible()
    expect(members.get_by_role("link", name="Nina Lead")).to_be_visible()
    # The colleague is a member, not an admin: no invitation form for them.
    expect(colleague.get_by_label("Colleague's e-mail")).to_have_count(0)


def test_admin_invites_an_org_admin_who_invites_a_colleague_keyboard_only(contexts: Contexts) -> None:
    admin = contexts.new("admin")
    keys = Keyboard(admin)
    admin.goto("/admin/invitations")
    keys.tab_to("textbox", "E-mail")
    keys.type("olga.keys@harbourline.example")
    keys.tab_to("combobox", "Organisation")
    keys.type("Harbourline")
    expect(admin.get_by_label("Organisation", exact=True)).to_have_value(re.compile("^harbourline"))
    keys.tab_to("checkbox", "Organisation admin")
    keys.press("Space")
    expect(admin.get_by_label("Organisation admin")).to_be_checked()
    keys.tab_to("button", "Send invitation")
    keys.press("Enter")
    link_box = admin.locator("#invitation-link")
    expect(link_box).to_be_visible()
    link = link_box.input_value()

    org_admin = accept_by_keyboard(contexts, link, "Olga Keys")
    okeys = Keyboard(org_admin)

    okeys.tab_to("link", "Organisation")
    okeys.press("Enter")
    org_admin.wait_for_url("**/orgs/harbourline*")
    okeys.tab_to("textbox", "Colleague's e-mail")
    okeys.type("leo.keys@harbourline.example")
    okeys.press("Enter")
    link_box = org_admin.locator("#invitation-link")
    expect(link_box).to_be_visible()
    link = link_box.input_value()

    newcomer = accept_by_keyboard(contexts, link, "Leo Keys")
    newcomer.goto("/account/organisation")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(re.compile("^Harbourline"))
