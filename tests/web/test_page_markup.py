"""Markup every page must have: labelled inputs, a CSRF field in every POST form, no inline script."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.web.helpers import ask
from tests.web.helpers import login_as as login


class FormAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.in_label = 0
        self.unlabelled: list[str] = []
        self.controls: list[tuple[str, bool]] = []  # (id, inside a label)
        self.post_forms = 0
        self.csrf_fields = 0
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif tag in ("input", "textarea", "select") and a.get("type") not in ("hidden", "submit"):
            if a.get("aria-label"):
                return
            self.controls.append((a.get("id") or "", self.in_label > 0))
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.post_forms += 1
        if tag == "input" and a.get("name") == "csrf_token":
            self.csrf_fields += 1
        if tag == "script" and not a.get("src"):
            self.inline_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1

    def problems(self) -> list[str]:
        found = [f"unlabelled control #{cid}" for cid, wrapped in self.controls
                 if not wrapped and cid not in self.label_for]  # fmt: skip
        if self.csrf_fields < self.post_forms:
            found.append(f"{self.post_forms} POST forms but {self.csrf_fields} CSRF fields")
        if self.inline_script:
            found.append("inline script")
        return found


async def test_forms_are_labelled_and_protected(client, world):
    await login(client, world.admin)
    tid = await ask(client)
    pages = ["/", "/ask", f"/t/{tid}", "/c/general", "/account/profile", "/account/password"]
    pages += [f"/orgs/{world.gold.slug}", "/admin/categories", "/admin/categories/general"]
    pages += ["/admin/organisations", "/admin/invitations"]
    page = await client.get(f"/t/{tid}")
    opening = page.text.split('id="p', 1)[1].split('"', 1)[0]
    pages += [f"/posts/{opening}/edit", f"/posts/{opening}/delete", f"/posts/{opening}/revisions"]
    for path in pages:
        await _audit(client, path)
    await login(client, world.partner)
    for path in (f"/orgs/{world.gold.slug}", f"/t/{tid}", "/account/profile"):
        await _audit(client, path)
    client.cookies.clear()
    await _audit(client, "/login")


async def _audit(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(path)
    assert response.status_code == 200, path
    audit = FormAudit()
    audit.feed(response.text)
    assert audit.problems() == [], path
