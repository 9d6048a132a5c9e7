"""Bad input, swept over every form and every JSON endpoint that takes input.

Whatever arrives (empty or 100 KB text, 1 MB+ bodies, invalid UTF-8, NUL and control characters,
unknown, non-numeric or huge ids, malformed JSON, wrong JSON types, wrong content types, no CSRF
token, HTML and script in every text field) the answer is a clear 4xx, never a 500; forms come
back with the field's error and the input kept; script comes back escaped; and a refused request
leaves everything already saved as it was. Run it against PostgreSQL too: NUL bytes and integers
beyond 32 bits fail there in ways SQLite forgives.

What is swept comes from the app (``tests/input_sweep.py``), so a new route cannot escape it:
- the routes are the mounted ones; ``test_every_route_that_takes_input_has_a_row`` fails, naming
  the route, when a form or JSON endpoint has no row below (or a deliberate exclusion with its
  reason), and every id or key in a path is tried with bad values without any row at all;
- a form's fields are read from the page that shows it (a row names the page and the values a
  person would type; the page says which fields are typed, picked, secret, numbers or required);
- a JSON endpoint's fields, and the values each must refuse, come from its declared request shape
  (``community/api/shapes``), and its query parameters from the operation's declaration.

The clients here do not re-raise server errors, so a 500 is reported with the request that caused
it, and each sweep collects every problem before failing. The file is long because it is the one
place that says, for every form and endpoint, what a valid request is.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
from markupsafe import escape
from tortoise import Tortoise, connections

from community.accounts import invitations, passwords, people, tokens
from community.forum import posts, threads
from community.kb import articles, products
from community.mail import queue as mail_queue
from community.mail.unsubscribe import unsubscribe_token
from community.models import (
    ApiToken,
    AuditEntry,
    MailState,
    Notification,
    OutgoingMail,
    Post,
    ReviewItem,
    SignInWindow,
    User,
)
from moderation import flags, sanctions, watched_words
from tests.api.conftest import operation_for, validate
from tests.conftest import CSRF_RE, PASSWORD, World, login
from tests.input_sweep import (
    CONTROL,
    HUGE_INT,
    HUGE_TEXT,
    ODD_DIGITS,
    AppRoute,
    BodyField,
    HtmlForm,
    app_routes,
    body_fields,
    forms_in,
    odd_values,
    raw_json,
    route_of,
    wrong_types,
)
from tests.test_authorization_matrix import mounted_routes

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# Our own scripts, loaded from /static: the only <script elements a page may have.
OWN_SCRIPT = re.compile(r'<script src="/static/[\w./-]+"( defer)?></script>')


# --- the world and its clients --------------------------------------------------------------------


@dataclass
class Env:
    world: World
    app: Any
    thread_id: int
    opening_id: int
    answer_id: int
    invite_token: str
    reset_token: str
    review_item: int
    article_id: int = 0
    promotable_id: int = 0  # an answer nothing else in the sweep hides
    promotable_api_id: int = 0  # another, for the API's script check
    browsers: dict[str, Browser] = field(default_factory=dict)
    bearers: dict[str, dict[str, str]] = field(default_factory=dict)
    more: dict[str, int] = field(default_factory=dict)  # ids the one-click forms act upon
    routes: list[AppRoute] = field(default_factory=list)
    unsubscribe_token: str = ""

    @property
    def ids(self) -> dict[str, object]:
        """The placeholders of rows' paths and pages."""
        return {
            "thread": self.thread_id, "opening": self.opening_id, "answer": self.answer_id,
            "gold": self.world.gold.slug, "invite": self.invite_token, "reset": self.reset_token,
            "item": self.review_item, "pat": self.world.partner.handle, "article": self.article_id,
            "promotable": self.promotable_id, "unsub": self.unsubscribe_token,
            "expert": self.world.expert.handle, "admin": self.world.admin.handle, **self.more,
        }  # fmt: skip

    def fill(self, template: str) -> str:
        return template.format(**self.ids)


@dataclass
class Browser:
    """A client with its own session; ``csrf`` is the session's token (empty when not needed)."""

    client: httpx.AsyncClient
    csrf: str = ""
    # A form that signs its sender in (a reset link) starts a new session, with a new token.
    renews_session: bool = False

    async def form(self, path: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
        response = await self.client.post(path, data={**data, "csrf_token": self.csrf}, **kw)
        if self.renews_session and response.status_code == 303:
            self.csrf = CSRF_RE.search((await self.client.get("/")).text).group(1)  # type: ignore[union-attr]
        return response


def make_client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def env(app, world: World) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    pat = world.actor(world.partner)
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="How do I register a deal for a tender?",
        body="Which form do we use?", tags="deals",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.expert), thread.id, body="Use the deal registration form.")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    _, invite_token = await invitations.create_invitation(
        world.settings, None, email="newcomer@gold.example", organisation=world.gold, role="partner"
    )
    reset_token = await passwords.create_password_reset(world.settings, world.colleague.email)
    await flags.flag_post(app.state.moderation, pat, answer.id, reason="spam")
    review_item = (await ReviewItem.get(post_id=answer.id)).id
    e = Env(world, app, thread.id, opening.id, answer.id, invite_token, reset_token, review_item)
    kb_answer = await posts.reply(world.actor(world.colleague), thread.id, body="Ask your distributor.")
    e.article_id = (await articles.promote_answer(world.actor(world.expert), kb_answer.id)).id
    # A second version, so that the first can be restored.
    await articles.edit_article(world.actor(world.expert), e.article_id, summary="Ask them.", note="summary")
    e.promotable_id = (await posts.reply(world.actor(world.colleague), thread.id, body="Or call us.")).id
    e.promotable_api_id = (await posts.reply(world.actor(world.colleague), thread.id, body="Or mail us.")).id
    e.more = await _acted_upon(app, world, thread.id)
    e.unsubscribe_token = unsubscribe_token(world.settings, world.colleague.id, "mention")
    e.routes = app_routes(app)
    clients = []
    for name, user in (("partner", world.partner), ("expert", world.expert), ("admin", world.admin)):
        client = make_client(app)
        clients.append(client)
        e.browsers[name] = Browser(client, await login(client, user))
        e.bearers[name] = {"Authorization": f"Bearer {await tokens.create_api_token(user)}"}
    e.more["token"] = (await ApiToken.filter(user_id=world.partner.id).first()).id  # type: ignore[union-attr]
    anon = make_client(app)
    clients.append(anon)
    e.browsers["anon"] = Browser(anon, CSRF_RE.search((await anon.get("/login")).text).group(1))  # type: ignore[union-attr]
    resetter = make_client(app)
    clients.append(resetter)
    e.browsers["resetter"] = Browser(
        resetter,
        CSRF_RE.search((await resetter.get("/login")).text).group(1),  # type: ignore[union-attr]
        renews_session=True,
    )
    try:
        yield e
    finally:
        for client in clients:
            await client.aclose()


async def _acted_upon(app: Any, world: World, thread_id: int) -> dict[str, int]:
    """What the one-click forms act upon, one of each: a product and its version, a watched word,
    a hidden post (by its audit entry), a sanction in force and a notification."""
    expert, admin, moderator = (world.actor(u) for u in (world.expert, world.admin, world.moderator))
    gate = app.state.moderation
    product = await products.create_product(expert, name="Router X200")
    version = await products.add_version(expert, product.id, name="firmware 4.x")
    await products.add_version(expert, product.id, name="firmware 5.x")  # two: the forms list them
    word = await watched_words.add_watched_word(gate, admin, pattern="greymarketkeys", action="flag")
    hidden = await posts.reply(world.actor(world.colleague), thread_id, body="Licence keys, cheap.")
    await flags.flag_post(gate, moderator, hidden.id, reason="spam")  # a moderator's flag hides it
    entry = (await AuditEntry.get(subject_type="post", subject_id=hidden.id)).id
    sid = await people.create_user(
        world.settings, email="sid@silver.example", display_name="Sid Sanctioned", role="partner",
        organisation=world.silver, password=PASSWORD,
    )  # fmt: skip
    sanction = await sanctions.impose_sanction(moderator, user=sid.handle, kind="silence", reason="Spam")
    notification = (await Notification.filter(user_id=world.partner.id).first()).id  # type: ignore[union-attr]
    invite, _ = await invitations.create_invitation(
        world.settings, None, email="invitee@silver.example", organisation=world.silver, role="partner"
    )
    gold_invite, _ = await invitations.create_invitation(
        world.settings, world.actor(world.partner), email="mate@gold.example", organisation=world.gold,
        role="partner",
    )  # fmt: skip
    uncertain = await mail_queue.enqueue(world.settings, kind="test", to="x@example.com", subject="Unsure")
    await OutgoingMail.filter(id=uncertain.id).update(state=MailState.UNCERTAIN)
    return {
        "product": product.id, "version": version.id, "word": word.id, "entry": entry,
        "sanction": sanction.id, "notification": notification, "invite_id": invite.id,
        "gold_invite": gold_invite.id, "uncertain_mail": uncertain.id,
    }  # fmt: skip


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every saved row (sign-in windows and a token's "last used" aside: recording them is the
    point of a refused sign-in and of a call made with the token). Plain SQL: the sweeps that take
    one after each request run five times faster than through the models."""
    conn = connections.get("default")
    state = {}
    for name, model in sorted(Tortoise.apps["community"].items()):
        if model is not SignInWindow:
            meta = model._meta
            rows = await conn.execute_query_dict(
                f'SELECT * FROM "{meta.db_table}" ORDER BY "{meta.db_pk_column}"'
            )
            if model is ApiToken:
                rows = [{k: v for k, v in row.items() if k != "last_used_at"} for row in rows]
            state[name] = rows
    return state


async def assert_unchanged(before: dict[str, list[dict[str, Any]]]) -> None:
    after = await snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"refused requests changed saved data in: {changed}"


def no_raw_markup(text: str) -> str | None:
    """What unescaped markup of ours a page or JSON answer carries, if any."""
    if "<script" in OWN_SCRIPT.sub("", text):
        return "a raw <script"
    if "<img src=x" in text or "onerror=alert(1)>" in text.replace("&gt;", ""):
        return "a raw <img onerror"
    return None


# --- forms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A form: where it is sent (``path``) and the page that shows it (``page``), both with the
    placeholders of ``Env.ids``. Its fields, and which are typed, picked, secret, numbers or
    marked required, are read from the page; the row says only what the page cannot."""

    path: str
    page: str
    who: str
    valid: dict[str, str] = field(default_factory=dict)  # what a person would send, over the page's own
    required: tuple[str, ...] = ()  # needed in this submission though the page does not mark them
    optional: tuple[str, ...] = ()  # marked required, but not needed in this submission
    unlimited: tuple[str, ...] = ()  # typed fields this submission takes at any length (a preview)
    # Fields read leniently, each with the reason: odd values are tried apart (never a 500).
    lenient: dict[str, str] = field(default_factory=dict)
    elsewhere: tuple[str, ...] = ()  # whole numbers the view reads that another page sends (hidden)
    names: tuple[str, ...] = ()  # fields naming a thing: one that names nothing is not found (404)
    error_page: bool = False  # a refusal answers the error page naming the field, not the form again
    refused: int = 422


NEXT = "where to go afterwards: anything but a same-site path goes to the default"
BUTTON = "the button pressed: anything but preview saves"
ON_OFF = "on or off: anything but 1, true, yes or on reads as off, as it always has"
TIERS = "read only when the visibility is tiers, and the row's is all"

FORMS = [
    Form("/login", "/login", "anon",
         {"email": "pat@gold.example", "password": "wrong password!", "next": "/"},
         lenient={"next": NEXT}, refused=400),
    # Before the invitation: accepting it signs the anonymous browser in.
    Form("/password-reset", "/password-reset", "anon", {"email": "cole@gold.example"}),
    Form("/mail/unsubscribe/{unsub}", "/mail/unsubscribe/{unsub}", "anon",
         lenient={"List-Unsubscribe": "RFC 8058's fixed value: the view reads nothing from the body"}),
    Form("/invitations/{invite}", "/invitations/{invite}", "anon",
         {"display_name": "New Person", "password": "long enough password"}),
    Form("/password-reset/{reset}", "/password-reset/{reset}", "resetter",
         {"password": "long enough password"},
         lenient={"tokens_asked": "sent with the question: a form without it (a script) revokes tokens"}),
    Form("/account/profile", "/account/profile", "expert",
         {"display_name": "Erin Expert", "bio": "Pricing.", "expertise_tags": "pricing"}),
    Form("/account/password", "/account/password", "partner",
         {"current_password": PASSWORD, "new_password": "long enough password"}),
    Form("/account/tokens", "/account/tokens", "partner", {"name": "CRM sync"}),
    Form("/account/mail", "/account/mail", "partner", {"digest": "daily"}),
    Form("/ask", "/ask", "partner",
         {"category": "general", "kind": "question", "title": "A perfectly fine title",
          "body": "Some details.", "tags": "pricing"}, lenient={"private": ON_OFF}),
    Form("/ask", "/ask?expert={expert}", "partner",
         {"category": "general", "kind": "question", "title": "A perfectly fine title for Erin",
          "body": "Some details.", "tags": "pricing", "expert": "{expert}"}, lenient={"private": ON_OFF}),
    Form("/experts/{expert}/edit", "/experts/{expert}/edit", "expert",
         {"tags": "pricing", "away_until": "", "stand_in": ""}),
    Form("/t/{thread}/pass", "/t/{thread}/pass", "expert", {"to": "{admin}", "note": "Ada knows the rates."}),
    Form("/t/{thread}/rating", "/t/{thread}", "expert", {"score": "4", "comment": "Clear answer."}),
    Form("/t/{thread}/reply", "/t/{thread}", "partner", {"body": "An answer worth keeping."},
         lenient={"page": "the page to show the form on again: clamped to the thread's pages"}),
    Form("/posts/{opening}/edit", "/posts/{opening}/edit", "partner",
         {"title": "How do I register a deal for a tender?", "body": "Which form?", "tags": "deals",
          "note": "typo"}),
    Form("/orgs/{gold}/invitations", "/orgs/{gold}", "partner", {"email": "new.colleague@gold.example"}),
    Form("/orgs/{gold}/sign-in", "/orgs/{gold}/sign-in", "partner",
         {"display_name": "Gold account", "issuer": "https://idp.gold.example", "client_id": "community",
          "client_secret": "s3cret", "email_domains": "gold.example", "scopes": "openid email",
          "groups_claim": "groups", "org_admin_group": ""},
         required=("client_secret",), lenient={"enabled": ON_OFF, "password_sign_in": ON_OFF}),
    Form("/admin/categories", "/admin/categories", "admin",
         {"name": "Product setup", "slug": "", "description": "Configs.", "visibility": "all"},
         lenient={"tiers": TIERS}),
    Form("/admin/categories/general", "/admin/categories/general", "admin",
         {"name": "General questions", "description": "Anything.", "visibility": "all", "position": "0"},
         lenient={"tiers": TIERS}),
    Form("/admin/response-targets/general", "/admin/response-targets/general", "admin",
         {"first_answer_hours": "24", "solution_hours": "48", "route_count": "3"}),
    Form("/admin/organisations", "/admin/organisations", "admin",
         {"name": "Bronze Partners Oy", "tier": "silver", "description": ""}),
    Form("/admin/invitations", "/admin/invitations", "admin",
         {"email": "someone@silver.example", "organisation": "silver-systems-ltd", "role": "partner"},
         required=("email", "organisation")),
    Form("/posts/{answer}/flag", "/posts/{answer}/flag", "partner",
         {"reason": "other", "note": "Wrong product line"},
         required=("note",)),
    Form("/admin/watched-words", "/admin/watched-words", "admin",
         {"pattern": "competitor x", "action": "hold", "categories": ""}),
    Form("/admin/watched-words/test", "/admin/watched-words", "admin",
         {"text": "A sample text", "category": "general"},
         required=("text",)),
    Form("/posts/{promotable}/promote", "/posts/{promotable}/promote", "expert",
         {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
          "tags": "deals", "category": "general", "note": "", "state": "published", "action": "save"},
         lenient={"action": BUTTON}),
    Form("/kb/{article}/edit", "/kb/{article}/edit", "expert",
         {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
          "tags": "deals", "category": "general", "note": "clearer", "version": "", "action": "save"},
         lenient={"action": BUTTON}),
    Form("/kb/{article}/edit", "/kb/{article}/edit", "expert",
         {"title": "Registering deals for tenders", "summary": "", "body": "The **form**.", "tags": "deals",
          "category": "general", "note": "", "version": "", "action": "preview"},
         optional=("title",), unlimited=("body",),
         lenient={"action": BUTTON, "version": "a preview saves nothing: the version counts when saving"}),
    Form("/kb/{article}/review", "/kb/{article}", "partner", {"reason": "Firmware 5 changed the menu"}),
    Form("/kb/products", "/kb/products", "expert", {"name": "Router X200"}),
    Form("/admin/watched-words/categories", "/admin/watched-words", "admin",
         {"category": "general", "confidentiality": "off"}, required=("confidentiality",)),
    Form("/moderation/users/{pat}/sanctions", "/moderation/users/{pat}", "admin",
         {"kind": "silence", "days": "7", "reason": "Spam"}, required=("kind",),
         elsewhere=("review_item_id",)),
    Form("/t/{thread}/flag", "/t/{thread}/flag", "expert", {"reason": "other", "note": "Wrong product line"},
         required=("note",)),
    Form("/admin/announcements", "/admin/announcements", "admin",
         {"title": "Partner summit in May", "body": "Join us.", "audience": "all"}),
    # One-click forms: their only input is the id in the path and what the page sends.
    Form("/account/tokens/{token}/revoke", "/account/tokens", "partner"),
    Form("/admin/invitations/{invite_id}/resend", "/admin/invitations", "admin"),
    # Revoking asks first: the form is on the confirmation page.
    Form("/admin/invitations/{invite_id}/revoke", "/admin/invitations/{invite_id}/revoke", "admin"),
    Form("/orgs/{gold}/invitations/{gold_invite}/resend", "/orgs/{gold}", "partner"),
    Form("/orgs/{gold}/invitations/{gold_invite}/revoke", "/orgs/{gold}/invitations/{gold_invite}/revoke",
         "partner"),
    Form("/admin/outbox/{uncertain_mail}/resolve", "/admin/outbox", "admin", {"decision": "sent"},
         error_page=True),
    Form("/posts/{answer}/vote", "/t/{thread}", "partner", lenient={"helpful": ON_OFF, "next": NEXT}),
    Form("/posts/{answer}/accept", "/t/{thread}", "partner", lenient={"accept": ON_OFF, "next": NEXT}),
    Form("/moderation/items/{item}/claim", "/moderation/items/{item}", "admin"),
    Form("/moderation/audit/{entry}/restore", "/moderation/audit", "admin"),
    Form("/admin/watched-words/{word}/delete", "/admin/watched-words", "admin"),
    Form("/moderation/sanctions/{sanction}/lift", "/moderation/sanctions", "admin"),
    Form("/kb/products/{product}/versions", "/kb/products", "expert", {"version_name": "firmware 5.x"}),
    Form("/kb/product-versions/{version}/superseded", "/kb/products", "expert",
         lenient={"superseded": ON_OFF}),
    Form("/kb/{article}/versions/1/restore", "/kb/{article}/versions", "expert"),
    Form("/kb/{article}/state", "/kb/{article}", "expert", {"state": "draft"}, error_page=True),
    Form("/kb/{article}/rating", "/kb/{article}", "partner", {"helpful": "1"}, error_page=True),
    Form("/notifications/read-all", "/notifications", "partner"),
    Form("/settings/notifications", "/settings/notifications", "partner",
         lenient={"on": "the kinds to show: others are not on the form, and are left as they were"}),
    Form("/watch", "/t/{thread}", "partner", {"level": "watching"}, lenient={"next": NEXT}, names=("target",),
         error_page=True),
    Form("/posts/{promotable}/delete", "/posts/{promotable}/delete", "admin"),
    # After the vote and accept rows: a valid decision hides the answer they act upon.
    Form("/moderation/items/{item}/decide", "/moderation/items/{item}", "admin",
         {"decision": "hide", "reason": "Advertising"}, required=("reason",),
         lenient={"body": "read for an edit only, and the decision here is hide"}),
    # Moderation of the thread every row uses. Merging or marking it a duplicate of another thread
    # would end it: each names the thread itself, which is refused, and each odd value is still named.
    Form("/t/{thread}/status", "/t/{thread}", "admin", {"status": "closed", "reason": "Answered"}),
    Form("/t/{thread}/lock", "/t/{thread}", "admin", {"locked": "1", "reason": "Heated"},
         required=("reason",)),
    Form("/t/{thread}/pin", "/t/{thread}", "admin", {"pinned": "1"}),
    Form("/t/{thread}/merge", "/t/{thread}", "admin", {"into": "/t/{thread}", "reason": "Same question"},
         required=("into", "reason")),
    Form("/t/{thread}/duplicate", "/t/{thread}", "admin", {"of": "/t/{thread}", "reason": "Asked before"}),
    # Last: a valid move takes the thread to the staff room.
    Form("/t/{thread}/move", "/t/{thread}", "admin", {"category": "staff-room", "reason": "Internal"},
         required=("category",)),
    # After every other: it ends the partner's session.
    Form("/logout", "/", "partner"),
]  # fmt: skip

# HTML routes that change something and have no form row, with the reason.
FORMLESS: dict[str, str] = {
    "POST /images": "the editor's image upload (static/js/upload.js): a file, not a typed field; its sweep "
    "(not a picture, truncated, empty, oversized, no file, wrong content type, no token, silenced, rate "
    "limit) is tests/web/test_images.py",
    "POST /account/avatar": "a file field (multipart): the sweep here sends typed fields; its own sweep "
    "(not a picture, empty, no file, oversized, wrong content type) is tests/web/test_images.py",
    "POST /account/avatar/remove": "a one-click button shown only while a picture is set; it reads no "
    "field (tests/web/test_images.py removes one; the CSRF and content-type sweeps below cover it)",
    "POST /preview": "the editor's live preview (static/js/editor.js) sends a textarea's text from the "
    "forms swept above; its own sweep (empty, oversized, NUL, invalid UTF-8, wrong content type, no "
    "token, script) is tests/web/test_editor_preview.py",
    "POST /notifications/{id}/open": "no page shows this form since the centre's entries became links "
    "that mark read on arrival (community/web/notification_links.py); it reads no field "
    "(tests/notifications/test_pages.py follows it; the CSRF and content-type sweeps below cover it)",
    "POST /sso/discover": "a button of the sign-in form shown only once an organisation has single "
    "sign-on; its one field is swept in tests/accounts/test_sso.py (empty, malformed, huge, NUL)",
}


@dataclass
class SweptForm:
    """A row with what its page says about the form."""

    row: Form
    path: str
    valid: dict[str, str]
    texts: tuple[str, ...]  # typed by people and shown back to them
    required: tuple[str, ...]
    choices: tuple[str, ...]  # picked from what the page offers: anything else is refused
    secret: tuple[str, ...]  # passwords: never shown back
    numbers: tuple[str, ...]  # whole numbers: ones beyond any column are refused too
    lenient: dict[str, str]

    @property
    def who(self) -> str:
        return self.row.who

    @property
    def refused(self) -> int:
        return self.row.refused


def _find_form(forms: list[HtmlForm], action: str, page: str, valid: dict[str, str]) -> HtmlForm | None:
    """The form sent to ``action`` (a form without one is sent to its page); of several, the one
    whose hidden fields hold what the row sends (one form per category, say)."""
    found = [f for f in forms if f.method == "post" and (f.action or page) == action]
    for form in found:
        hidden = {n: f.default for n, f in form.fields.items() if f.kind == "hidden" and n != "csrf_token"}
        if all(valid.get(n, d) == d for n, d in hidden.items()) and all(n in form.fields for n in valid):
            return form
    return found[0] if found else None


def _sweep(env: Env, row: Form, form: HtmlForm) -> SweptForm:
    f = form.fields
    named = {*row.valid, *row.required, *row.optional, *row.unlimited, *row.lenient}
    unknown = sorted(named - set(f) - set(row.elsewhere))
    assert not unknown, f"the row for {row.path} names fields its form on {row.page} does not have: {unknown}"
    lenient = {**{n: "a lone checkbox: on when sent" for n, x in f.items() if x.switch}, **row.lenient}
    kept = [n for n in f if n != "csrf_token" and n not in lenient]
    required = [n for n in kept if f[n].required and n not in row.optional]
    required += [n for n in row.required if n not in required]
    picked = [n for n in kept if f[n].kind in ("select", "radio", "checkbox", "button", "hidden")]
    numbers = [n for n in kept if f[n].numeric]
    return SweptForm(
        row, env.fill(row.path), {**form.defaults(), **{k: env.fill(v) for k, v in row.valid.items()}},
        texts=tuple(n for n in kept if f[n].typed), required=tuple(required),
        choices=tuple(picked + list(row.elsewhere)), secret=tuple(n for n in kept if f[n].kind == "password"),
        numbers=tuple(numbers + list(row.elsewhere)), lenient=lenient,
    )  # fmt: skip


# The pages of a world are the same in every test (its ids included): read once a run.
_PAGES: dict[tuple[object, ...], dict[tuple[str, str], list[HtmlForm]]] = {}


async def swept_forms(env: Env) -> list[SweptForm]:
    """Every row, with its fields read from the page that shows its form (each page read once)."""
    pages = _PAGES.setdefault(tuple(sorted(env.ids.items())), {})
    found, problems = [], []
    for row in FORMS:
        page = env.fill(row.page)
        if (row.who, page) not in pages:
            response = await env.browsers[row.who].client.get(page)
            assert response.status_code == 200, f"GET {page} as {row.who}: {response.status_code}"
            pages[(row.who, page)] = forms_in(response.text)
        valid = {k: env.fill(v) for k, v in row.valid.items()}
        form = _find_form(pages[(row.who, page)], env.fill(row.path), page, valid)
        if form is None:
            problems.append(f"{row.page} shows {row.who} no form sent to {row.path}")
        else:
            found.append(_sweep(env, row, form))
    assert not problems, "\n".join(problems)
    return found


def check_refusal(form: SweptForm, name: str, sent: dict[str, str], response: httpx.Response) -> str | None:
    """A refused form: the right status, the field's error, and what was typed still there."""
    if name in form.row.names and response.status_code == 404:
        return no_raw_markup(response.text)
    if form.row.error_page:
        if response.status_code != form.refused or f"<strong>{name}</strong>" not in response.text:
            return f"answered {response.status_code}, not the error page naming {name}"
        return no_raw_markup(response.text)
    if response.status_code != form.refused:
        return f"answered {response.status_code}, expected {form.refused}: {response.text[:200]!r}"
    if form.row.path == "/login":
        ok = "error-summary" in response.text and str(escape(sent["email"])) in response.text
        return None if ok else "no error message, or the e-mail address was not kept"
    # A form sharing its page with another names its fields with a prefix ("sanction-reason-error").
    if name in form.texts and not re.search(rf'id="(?:[\w-]+-)?{name}-error"', response.text):
        return f"no error shown at the {name} field"
    if "error-summary" not in response.text:
        return "no error summary"
    for other in form.texts:
        if other not in form.secret and str(escape(sent[other])) not in response.text:
            return f"the {other} field lost what was typed"
    return no_raw_markup(response.text)


NUMBERS = (str(HUGE_INT), f"-{HUGE_INT}", "1" * 5000, "1.5", *ODD_DIGITS)


async def test_forms_refuse_empty_and_huge_text_and_keep_the_input(env: Env):
    forms = await swept_forms(env)
    before = await snapshot()
    problems = []
    for form in forms:
        browser = env.browsers[form.who]
        cases = [(name, "") for name in form.required]
        cases += [(name, HUGE_TEXT) for name in form.texts + form.choices if name not in form.row.unlimited]
        cases += [(name, n) for name in form.numbers for n in NUMBERS]
        for name, value in cases:
            sent = {**form.valid, name: value}
            response = await browser.form(form.path, sent)
            if problem := check_refusal(form, name, sent, response):
                problems.append(
                    f"POST {form.row.path} with {name}={value[:10]!r}{'...' if value else ''}: {problem}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


def odd_form_values(name: str) -> list[str]:
    values = ["", HUGE_TEXT, ODD_DIGITS[0], CONTROL]
    if name == "next":
        values += [
            SCRIPT,
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ]
    return values


async def test_fields_read_leniently_take_odd_values_without_failing(env: Env):
    """Switches, buttons and return addresses read any value as something sensible: never a 500,
    never a redirect to another site, and nothing saved by a refusal."""
    forms = await swept_forms(env)
    problems = []
    state = await snapshot()
    for form in forms:
        browser = env.browsers[form.who]
        for name in form.lenient:
            for value in odd_form_values(name):
                response = await browser.form(form.path, {**form.valid, name: value})
                where = f"POST {form.row.path} with {name}={value[:10]!r} ({form.lenient[name]})"
                location = response.headers.get("location", "")
                if response.status_code >= 500 or response.status_code in (401, 403):
                    problems.append(f"{where}: {response.status_code} {response.text[:200]!r}")
                elif (location and not location.startswith("/")) or location.startswith(("//", "/\\")):
                    problems.append(f"{where}: sent to {location}")
                elif problem := no_raw_markup(response.text):
                    problems.append(f"{where}: the answer has {problem}")
                elif response.status_code >= 400:
                    await assert_unchanged(state)
                state = await snapshot()
    assert not problems, "\n".join(problems)


async def test_forms_refuse_invalid_utf8_and_odd_encodings(env: Env):
    forms = await swept_forms(env)
    before = await snapshot()
    problems = []
    for form in forms:
        browser = env.browsers[form.who]
        token = f"csrf_token={browser.csrf}".encode()
        name = (form.required or form.texts or form.choices or ("x",))[0]
        for raw in (
            f"{name}=%FF%FE%FD".encode(),
            f"{name}=".encode() + b"\xff\xfe",
            f"{name}=%ED%A0%80".encode(),
        ):
            response = await browser.client.post(
                form.path,
                content=token + b"&" + raw,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            if response.status_code != 400 or "UTF-8" not in response.text:
                problems.append(
                    f"POST {form.row.path} with {raw!r}: {response.status_code} {response.text[:200]!r}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_script_and_control_characters_in_every_text_field(env: Env):
    """Accepted or refused, what was typed comes back as text: escaped on every page that shows it,
    stored without control characters."""
    problems = []
    for form in await swept_forms(env):
        browser = env.browsers[form.who]
        for name in form.texts + form.choices:
            if name in form.secret:
                continue
            value = f"{SCRIPT} Fine text{CONTROL} here"
            response = await browser.form(form.path, {**form.valid, name: value})
            where = f"POST {form.row.path} with script in {name}"
            if response.status_code >= 500 or response.status_code in (401, 403, 404):
                problems.append(f"{where}: {response.status_code} {response.text[:200]!r}")
            elif problem := no_raw_markup(response.text):
                problems.append(f"{where}: the answer has {problem}")
            if response.status_code == 422 and name in form.texts and str(escape(value)) not in response.text:
                # Kept as typed (control characters and all) and escaped.
                problems.append(f"{where}: the refused value was not shown back escaped")
    # The same through the API, for the API's own text fields.
    auth = env.bearers["admin"]
    api_sends = [
        ("POST", "/api/v1/threads", {"category": "general", "title": f"{SCRIPT} api title",
                                     "body": f"{SCRIPT}{CONTROL} api body"}),
        ("POST", f"/api/v1/threads/{env.thread_id}/posts", {"body": f"{SCRIPT}{CONTROL} api answer"}),
        ("PATCH", f"/api/v1/posts/{env.answer_id}",
         {"body": f"{SCRIPT} edited", "note": f"{SCRIPT}{CONTROL}"}),
        ("POST", "/api/v1/categories", {"name": f"{SCRIPT}"[:80], "description": f"{SCRIPT}{CONTROL}"}),
        ("POST", f"/api/v1/posts/{env.promotable_api_id}/promote",
         {"title": f"{SCRIPT} article", "summary": f"{SCRIPT}{CONTROL}", "body": f"{SCRIPT}{CONTROL} body"}),
        ("PATCH", f"/api/v1/kb/articles/{env.article_id}",
         {"title": f"{SCRIPT} edited article", "body": f"{SCRIPT} body", "category": "general",
          "note": f"{SCRIPT}{CONTROL}"}),
    ]  # fmt: skip
    for method, path, body in api_sends:
        response = await env.browsers["anon"].client.request(method, path, json=body, headers=auth)
        if response.status_code >= 400:
            problems.append(f"{method} {path}: {response.status_code} {response.text[:200]!r}")
        elif re.search(r"<script|<img", _html_of(response)):
            problems.append(f"{method} {path}: body_html carries markup: {response.text[:300]!r}")

    # Every page that shows these values shows them as text.
    admin = env.browsers["admin"].client
    newcomer = await User.filter(email="newcomer@gold.example").first()
    pages = ["/", "/categories", "/c/general", f"/t/{env.thread_id}", f"/u/{env.world.expert.handle}",
             f"/orgs/{env.world.gold.slug}", "/admin/categories", "/admin/organisations",
             "/admin/invitations",
             f"/posts/{env.opening_id}/revisions", f"/posts/{env.answer_id}/revisions",
             f"/api/v1/threads/{env.thread_id}", f"/api/v1/posts/{env.answer_id}/revisions",
             "/kb", "/kb?tag=deals", f"/kb/{env.article_id}", f"/kb/{env.article_id}/versions",
             f"/kb/{env.article_id}/compare?from=1&to=2", "/kb/products"]  # fmt: skip
    if newcomer:
        pages.append(f"/u/{newcomer.handle}")
    for page in pages:
        response = await admin.get(page, headers=env.bearers["admin"] if page.startswith("/api/") else {})
        if response.status_code != 200:
            problems.append(f"GET {page}: {response.status_code}")
        elif problem := no_raw_markup(response.text if not page.startswith("/api/") else _html_of(response)):
            problems.append(f"GET {page}: {problem}")
    assert not problems, "\n".join(problems)
    assert newcomer is not None, "the invitation with a script in the name was not accepted"
    assert "<script>" in newcomer.display_name  # kept as text, shown escaped
    await assert_no_control_characters()


def _html_of(response: httpx.Response) -> str:
    """The HTML fragments of an API answer (titles and sources are JSON text for clients to escape)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "body_html" and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(response.json())
    return "\n".join(found)


async def assert_no_control_characters() -> None:
    """No saved text, in any table, holds a control or invisible character (newlines and tabs aside)."""
    bad = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]")
    found = []
    for name, model in sorted(Tortoise.apps["community"].items()):
        for row in await model.all().values():
            found += [
                f"{name}.{k}#{row.get('id')}" for k, v in row.items() if any(map(bad.search, _texts(v)))
            ]
    assert not found, f"control characters were saved in: {found}"


def _texts(value: object) -> list[str]:
    """The text in a saved value (JSON columns included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


# --- JSON endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A JSON endpoint with a body: the request a valid call sends (placeholders as for forms).
    Its fields, and what each must refuse, come from the declared request shape."""

    method: str
    path: str
    who: str
    valid: dict[str, Any]
    ignored: dict[str, str] = field(default_factory=dict)  # fields this request does not read, and why


ENDPOINTS = [
    Endpoint("POST", "/api/v1/threads", "partner",
             {"category": "general", "kind": "question", "title": "A perfectly fine title",
              "body": "Details.", "tags": ["pricing"]}),
    Endpoint("POST", "/api/v1/threads/{thread}/posts", "partner", {"body": "An answer."}),
    Endpoint("PUT", "/api/v1/threads/{thread}/rating", "expert", {"score": 4, "comment": "Clear answer."}),
    Endpoint("PATCH", "/api/v1/posts/{opening}", "partner",
             {"body": "Which form?", "title": "How do I register a deal for a tender?", "tags": ["deals"],
              "note": "typo"}),
    Endpoint("POST", "/api/v1/categories", "admin",
             {"name": "Product setup", "slug": "product-setup", "description": "", "visibility": "all"}),
    Endpoint("POST", "/api/v1/organisations/{gold}/invitations", "partner",
             {"email": "new.colleague@gold.example", "role": "partner"}),
    Endpoint("POST", "/api/v1/posts/{answer}/flags", "partner", {"reason": "other", "note": "Wrong line"}),
    Endpoint("POST", "/api/v1/threads/{thread}/flags", "expert", {"reason": "other", "note": "Wrong line"}),
    Endpoint("POST", "/api/v1/posts/{promotable}/promote", "expert",
             {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
              "tags": ["deals"], "category": "general", "note": "", "state": "published"}),
    Endpoint("PATCH", "/api/v1/kb/articles/{article}", "expert",
             {"title": "Registering deals for tenders", "summary": "", "body": "The **form**.",
              "tags": ["deals"], "category": "general", "note": "", "base_version": 2}),
    Endpoint("POST", "/api/v1/kb/articles/{article}/versions/1/restore", "expert", {"note": "back"}),
    Endpoint("POST", "/api/v1/kb/articles/{article}/review", "partner", {"reason": "Old"}),
    Endpoint("POST", "/api/v1/kb/articles/{article}/rating", "partner", {"helpful": True}),
    Endpoint("POST", "/api/v1/kb/articles/{article}/state", "expert", {"state": "published"}),
    Endpoint("POST", "/api/v1/kb/products", "expert", {"name": "Router X200"}),
    Endpoint("POST", "/api/v1/kb/products/{product}/versions", "expert", {"name": "firmware 5.x"}),
    Endpoint("PATCH", "/api/v1/kb/product-versions/{version}", "expert", {"superseded": True}),
    Endpoint("POST", "/api/v1/watches", "partner",
             {"target_type": "category", "target": "general", "level": "watching"}),
    Endpoint("PUT", "/api/v1/notifications/preferences", "partner", {"muted_kinds": ["mention"]}),
    Endpoint("POST", "/api/v1/announcements", "admin",
             {"title": "Partner summit in May", "body": "Join us.", "audience": "all"}),
    Endpoint("POST", "/api/v1/moderation/rules/test", "admin", {"text": "A sample", "category": "general"}),
    Endpoint("POST", "/api/v1/moderation/rules/categories", "admin",
             {"category": "general", "confidentiality": "off"}),
    Endpoint("POST", "/api/v1/moderation/watched-words", "admin",
             {"pattern": "competitor x", "action": "hold", "categories": ["general"]}),
    Endpoint("POST", "/api/v1/moderation/audit/{entry}/restore", "admin", {"reason": "A mistake"}),
    Endpoint("POST", "/api/v1/moderation/items/{item}/decision", "admin",
             {"decision": "hide", "reason": "Advertising"}, ignored={"body": "read for an edit only"}),
    Endpoint("POST", "/api/v1/moderation/items/{item}/decision", "admin",
             {"decision": "edit", "reason": "Tidied", "body": "Use the deal registration form, page 2."}),
    Endpoint("POST", "/api/v1/threads/{thread}/status", "admin", {"status": "closed", "reason": "Done"}),
    Endpoint("PUT", "/api/v1/experts/{expert}/expertise", "expert",
             {"tags": ["rebates"], "categories": ["general"], "away_until": None, "stand_in": None}),
    Endpoint("POST", "/api/v1/threads/{thread}/pass", "expert", {"to": "{admin}", "note": "Ada knows it."}),
    Endpoint("PUT", "/api/v1/response-targets/general", "admin",
             {"first_answer_hours": 12, "solution_hours": 48, "route_count": 2}),
    Endpoint("POST", "/api/v1/threads/{thread}/lock", "admin", {"locked": True, "reason": "Heated"}),
    Endpoint("POST", "/api/v1/threads/{thread}/pin", "admin", {"pinned": True, "reason": "Useful"}),
    # Merging or marking as a duplicate names the thread itself (refused): see the forms.
    Endpoint("POST", "/api/v1/threads/{thread}/merge", "admin", {"into": "/t/{thread}", "reason": "Same"}),
    Endpoint("POST", "/api/v1/threads/{thread}/duplicate", "admin", {"of": "/t/{thread}", "reason": "Same"}),
    Endpoint("POST", "/api/v1/threads/{thread}/move", "admin", {"category": "staff-room", "reason": "Moved"}),
    Endpoint("POST", "/api/v1/moderation/sanctions/{sanction}/lift", "admin", {"reason": "Served"}),
    # Last: silencing the partner changes what the partner's later requests may do.
    Endpoint("POST", "/api/v1/moderation/sanctions", "admin",
             {"user": "pat-partner", "kind": "silence", "reason": "Spam", "days": 7, "review_item_id": None}),
]  # fmt: skip

# API routes with a body and no row, with the reason.
BODYLESS: dict[str, str] = {}

# Fields declared without a message for a wrong type, because their use case judges every value:
# what a value of the wrong type answers instead of a 422 naming the field (None: it is taken).
JUDGED: dict[str, tuple[set[int] | None, str]] = {
    "confirm_wider": (None, "only true confirms: any other value is read as not confirming"),
    "user": ({404}, "anything but a member's handle names nobody, as an unknown handle"),
}
# Fields whose odd values may answer another clear 4xx than a 422 naming them, with the reason (text
# of 100 KB and numbers beyond 64 bits in a field with a declared type are still a 422 naming it).
OTHER_ANSWERS: dict[tuple[str, str], tuple[set[int], str]] = {
    ("/api/v1/watches", "target"): ({404}, "a category or thread it names is not found"),
    ("/api/v1/moderation/sanctions", "user"): ({404}, "a handle that names nobody is not found"),
}

BAD_BODIES: list[tuple[bytes, str, int]] = [
    (b"", "application/json", 400),
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'"text"', "application/json", 400),
    (b"42", "application/json", 400),
    (b"null", "application/json", 400),
    (b"\xef\xbb\xbf{}", "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    (b'{"body": "\\ud800 lone"}', "application/json", 400),
    (b'{"title": 1' + b"1" * 5000 + b"}", "application/json", 400),
    (b'{"body": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "application/json", 400),
    (b'{"body": "' + b"x" * 1_100_000 + b'"}', "application/json", 413),
    (b'{"body": "fine"}', "text/plain", 415),
    (b"body=fine", "application/x-www-form-urlencoded", 415),
    (b'{"body": "fine"}', "", 415),
    (b'{"body": "fine"}', "application/jsonp", 415),
]


@dataclass
class SweptEndpoint:
    row: Endpoint
    path: str
    valid: dict[str, Any]
    fields: list[BodyField]


def swept_endpoints(env: Env) -> list[SweptEndpoint]:
    found = []
    for row in ENDPOINTS:
        path = env.fill(row.path)
        route = route_of(env.routes, row.method, path)
        assert route and route.body, f"{row.method} {row.path} is no route with a body"
        valid = {k: env.fill(v) if isinstance(v, str) else v for k, v in row.valid.items()}
        found.append(SweptEndpoint(row, path, valid, body_fields(route.body)))
    return found


def undocumented(response: httpx.Response) -> str | None:
    """What about an API answer the OpenAPI document does not say (its status, its shape)."""
    request = response.request
    op = operation_for(request.method, request.url.path)
    try:
        if op is not None:
            assert str(response.status_code) in op["responses"], "a status the operation does not document"
        validate({"$ref": "#/components/schemas/Error"}, response.json())
    except (AssertionError, ValueError) as exc:
        return f"not as documented: {str(exc)[:200]}"
    return None


def check_error(response: httpx.Response, status: int | set[int]) -> str | None:
    if response.status_code not in ({status} if isinstance(status, int) else status):
        return f"answered {response.status_code}, expected {status}: {response.text[:200]!r}"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not the error shape: {response.text[:200]!r}"
    if not (
        isinstance(error.get("message"), str) and error["message"] and isinstance(error.get("code"), str)
    ):
        return f"no clear message: {error!r}"
    return undocumented(response)


def check_field_error(response: httpx.Response, name: str, message: str | None = None) -> str | None:
    """A 422 in the error format that names ``name`` (with ``message``, when one is declared)."""
    if problem := check_error(response, 422):
        return problem
    said = response.json()["error"]["fields"].get(name)
    if said is None:
        return f"the error does not name {name}: {response.text[:200]!r}"
    if message is not None and said != message:
        return f"{name}: {said!r}, declared: {message!r}"
    return None


async def _send(env: Env, endpoint: SweptEndpoint, body: dict[str, Any]) -> httpx.Response:
    headers = {**env.bearers[endpoint.row.who], "Content-Type": "application/json"}
    client = env.browsers["anon"].client
    return await client.request(endpoint.row.method, endpoint.path, content=raw_json(body), headers=headers)


async def test_json_bodies_that_are_not_an_object_are_refused(env: Env):
    before = await snapshot()
    problems = []
    client = env.browsers["anon"].client
    for endpoint in swept_endpoints(env):
        for raw, content_type, status in BAD_BODIES:
            headers = {
                **env.bearers[endpoint.row.who],
                **({"Content-Type": content_type} if content_type else {}),
            }
            response = await client.request(endpoint.row.method, endpoint.path, content=raw, headers=headers)
            if problem := check_error(response, status):
                problems.append(
                    f"{endpoint.row.method} {endpoint.row.path} with {raw[:30]!r} ({content_type}): {problem}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_json_fields_of_the_wrong_type_are_field_errors(env: Env):
    """Each field of each request shape, sent values of every JSON type it does not take (and null
    when the operation needs it): a 422 naming the field, with the message declared for it."""
    before = await snapshot()
    problems = []
    for endpoint in swept_endpoints(env):
        for f in endpoint.fields:
            judged, _ = JUDGED.get(f.name, (set(), ""))
            if judged is None or f.name in endpoint.row.ignored:
                continue
            values = wrong_types(f) + ([None] if f.required and "null" not in f.kinds else [])
            for value in values:
                response = await _send(env, endpoint, {**endpoint.valid, f.name: value})
                where = f"{endpoint.row.method} {endpoint.row.path} with {f.name}={str(value)[:20]}"
                if judged:
                    problem = check_error(response, judged)
                else:
                    problem = check_field_error(response, f.name, f.invalid if value is not None else None)
                if problem:
                    problems.append(f"{where}: {problem}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_json_values_beyond_what_a_field_declares_are_refused(env: Env):
    """Each field, sent values of a type it takes that it must refuse (text beyond its declared
    length, none of its choices, numbers out of range or in odd digits, lone surrogates):
    a 422 naming the field (a lone surrogate: 400, the body cannot be stored)."""
    before = await snapshot()
    problems = []
    for endpoint in swept_endpoints(env):
        for f in endpoint.fields:
            if f.name in endpoint.row.ignored:
                continue
            cases: list[tuple[Any, int]] = [(v, 422) for v in odd_values(f)]
            if "string" in f.kinds:
                cases.append(("\ud800 lone", 400))
            for value, status in cases:
                response = await _send(env, endpoint, {**endpoint.valid, f.name: value})
                where = f"{endpoint.row.method} {endpoint.row.path} with {f.name}={str(value)[:20]!r}"
                other = OTHER_ANSWERS.get((endpoint.row.path, f.name))
                if other and f.invalid and value in (HUGE_TEXT, HUGE_INT):
                    other = None
                if other and response.status_code in other[0]:
                    problem = check_error(response, other[0])
                elif status == 422:
                    problem = check_field_error(response, f.name)
                else:
                    problem = check_error(response, status)
                if problem:
                    problems.append(f"{where}: {problem}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_json_control_characters_are_dropped_or_refused(env: Env):
    """Control and invisible characters in each text field: taken without them, or refused
    clearly; never a 500, never saved, and a refusal saves nothing."""
    problems = []
    state = await snapshot()
    for endpoint in swept_endpoints(env):
        for f in endpoint.fields:
            if "string" not in f.kinds and "string" not in f.items:
                continue
            valid = endpoint.valid.get(f.name)
            value = f"{valid}{CONTROL}" if isinstance(valid, str) else CONTROL
            value = [value] if "string" not in f.kinds else value
            response = await _send(env, endpoint, {**endpoint.valid, f.name: value})
            where = f"{endpoint.row.method} {endpoint.row.path} with {f.name}={value!r}"
            if response.status_code >= 400:
                if problem := check_error(response, {400, 403, 404, 409, 422}):
                    problems.append(f"{where}: {problem}")
                await assert_unchanged(state)
            state = await snapshot()
    assert not problems, "\n".join(problems)
    await assert_no_control_characters()


# --- ids, keys and query parameters ---------------------------------------------------------------

BAD_IDS = ["0", "-1", "abc", "1.5", "1e3", "987654", str(2**31), str(2**63), str(HUGE_INT), "%00", "1%00",
           "%20", "%D9%A3", "0x10"]  # fmt: skip
BAD_KEYS = ["%00", "a%00b", "%FF", "%ED%A0%80", "x" * 300, "%3Cscript%3Ealert(1)", "%E2%80%AE",
            "%20", "no-such-thing", "%0A", "%C0%AF"]  # fmt: skip
# What a bad key answers where it is not 404, with the reason.
KEY_ANSWERS: dict[str, tuple[set[int], str]] = {
    "/tags/{tag}": ({200, 422}, "any tag may be asked for: an odd one lists nothing or is refused"),
    "/password-reset/{token}": ({410}, "an unknown link is an expired one"),
}
# The other parameter of a route with two (and an API route's id where its query is swept): a real
# value, so that the bad one is the only reason for the answer.
REAL_PARAMS: dict[tuple[str, str], str] = {
    ("/kb/{article_id}/versions/{number}/restore", "article_id"): "{article}",
    ("/kb/{article_id}/versions/{number}/restore", "number"): "1",
    ("/api/v1/kb/articles/{id}/versions/{number}/restore", "id"): "{article}",
    ("/api/v1/kb/articles/{id}/versions/{number}/restore", "number"): "1",
    ("/api/v1/threads/{id}", "id"): "{thread}",
    ("/api/v1/threads/{id}/ratings", "id"): "{thread}",
    ("/api/v1/kb/articles/{id}/compare", "id"): "{article}",
    ("/orgs/{slug}/invitations/{id}/resend", "slug"): "{gold}",
    ("/orgs/{slug}/invitations/{id}/resend", "id"): "{gold_invite}",
    ("/orgs/{slug}/invitations/{id}/revoke", "slug"): "{gold}",
    ("/orgs/{slug}/invitations/{id}/revoke", "id"): "{gold_invite}",
    ("/sso/{key}/{step}", "key"): "company",
    ("/sso/{key}/{step}", "step"): "login",
}
# A query a page needs besides its id (both versions to compare).
NEEDED_QUERY = {
    "/kb/{article_id}/compare": "?from=1&to=1",
    "/api/v1/kb/articles/{id}/compare": "?from=1&to=1",
}


def real_path(env: Env, route: AppRoute, but: str = "", value: str = "") -> str:
    """The route's path with a real value for each parameter (``but`` gets ``value``)."""
    path = route.template
    for name, _ in route.params:
        if name == but:
            real = value
        else:
            key = (route.template, name)
            assert key in REAL_PARAMS, f"{route.name}: add a real value for {name} to REAL_PARAMS"
            real = env.fill(REAL_PARAMS[key])
        path = path.replace("{" + name + "}", real)
    return path + NEEDED_QUERY.get(route.template, "")


def bad_id_requests(env: Env) -> list[tuple[AppRoute, str, str, set[int]]]:
    """Every mounted route with an id or key in its path, each one replaced by bad values in turn:
    (route, path, the bad value, the answers allowed)."""
    found = []
    for route in env.routes:
        for name, convertor in route.params:
            allowed = {404} if convertor == "int" else KEY_ANSWERS.get(route.template, ({404}, ""))[0]
            for bad in BAD_IDS if convertor == "int" else BAD_KEYS:
                found.append((route, real_path(env, route, name, bad), bad, allowed))
    return found


async def _call(env: Env, method: str, path: str, data: dict[str, Any]) -> httpx.Response:
    """As the administrator (who may reach every route), through a form or the API."""
    browser = env.browsers["admin"]
    if path.startswith("/api/"):
        body = data if method in ("POST", "PATCH", "PUT") else None
        return await browser.client.request(method, path, json=body, headers=env.bearers["admin"])
    if method == "GET":
        return await browser.client.get(path)
    return await browser.form(path, data)


async def test_unknown_malformed_and_huge_ids_and_keys_are_404(env: Env):
    before = await snapshot()
    problems = []
    data = {"body": "Fine text", "email": "someone@gold.example", "name": "Fine name", "visibility": "all",
            "password": "long enough password", "display_name": "New Person"}  # fmt: skip
    for route, path, bad, allowed in bad_id_requests(env):
        # The API refuses fields a request does not declare (422): send only declared ones.
        declared = {f.encode_name for f in msgspec.structs.fields(route.body)} if route.body else set()
        sent = {k: v for k, v in data.items() if k in declared} if route.is_api else data
        response = await _call(env, route.method, path, sent)
        where = f"{route.method} {path[:80]}"
        if response.status_code not in allowed:
            problems.append(f"{where}: {response.status_code}, expected {allowed}: {response.text[:150]!r}")
            continue
        problem = no_raw_markup(response.text) if bad in BAD_KEYS else None
        if route.is_api and response.status_code >= 400:
            problem = problem or check_error(response, allowed)
        if problem:
            problems.append(f"{where}: {problem}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


# The pages' query parameters (the API's come from its declarations, and the filter forms' from
# the pages that show them).
PAGE_QUERIES = {
    "/": ("page", "show"), "/c/general": ("page", "show", "status", "tag"), "/tags/deals": ("page", "show"),
    "/t/{thread}": ("page", "ratings"), "/u/{pat}": ("page",),
    "/moderation/queue": ("kind", "reason", "category"),
    "/moderation/audit": ("moderator", "user", "action", "since", "until"),
    "/moderation/audit.csv": ("moderator", "user", "action", "since", "until"),
    "/moderation/overview": ("page",), "/notifications": ("after", "show"),
    "/kb": ("page", "product", "sort", "state", "category", "tag", "review"),
    "/kb/{article}/compare?from=1&to=1": ("from", "to"), "/search": ("q", "page", "sort"),
    "/experts": ("topic",), "/waiting": ("routed",),
    "/health": ("from", "to", "category", "tier", "organisation"),
    "/health/export.csv": ("from", "to", "category", "tier", "organisation", "table"),
    "/health/threads": ("from", "to", "category", "tier", "organisation", "figure", "page", "member"),
    "/health/threads?figure=answers_by": ("member",),
    # Not read: an undeclared parameter is ignored.
    "/api/v1/moderation/overview": ("page",),
}  # fmt: skip
QUERY_VALUES = [str(HUGE_INT), "-5", "abc", "%00", "%FF", "x" * 5000, "%3Cscript%3E", "last", "1e9",
                "%ED%A0%80", *(quote(d) for d in ODD_DIGITS)]  # fmt: skip


def schema_values(schema: dict[str, Any]) -> list[str]:
    """Odd values for a declared query parameter, beyond those every parameter gets."""
    values = {"integer": ["0", "1.5", str(2**31)], "boolean": ["maybe", "2"]}.get(schema.get("type", ""), [])
    if "enum" in schema:
        values.append("none-of-the-choices")
    if schema.get("format") == "date":
        values += ["2024-02-30", "99999-01-01", "2024-1-1"]
    return values


async def query_sweep(env: Env) -> dict[str, dict[str, list[str]]]:
    """URL -> parameter -> values: the pages', their filter forms' and the API's declared ones."""
    sweep: dict[str, dict[str, list[str]]] = {}
    for page, names in PAGE_QUERIES.items():
        url = env.fill(page)
        sweep[url] = {name: list(QUERY_VALUES) for name in names}
        if not url.startswith("/api/"):
            for form in forms_in((await env.browsers["admin"].client.get(url)).text):
                if form.method == "get" and form.action.startswith("/"):
                    params = sweep.setdefault(form.action, {})
                    for name in form.fields:
                        params.setdefault(name, list(QUERY_VALUES))
    for route in env.routes:
        for name, schema in route.query_params():
            params = sweep.setdefault(real_path(env, route), {})
            params[name] = [*params.get(name, QUERY_VALUES), *schema_values(schema)]
    return sweep


async def test_odd_query_parameters_are_clear_4xx_or_ignored(env: Env):
    problems = []
    for path, params in (await query_sweep(env)).items():
        for name, values in params.items():
            for value in values:
                url = f"{path}{'&' if '?' in path else '?'}{name}={value}"
                response = await _call(env, "GET", url, {})
                if response.status_code not in (200, 404, 422):
                    problems.append(f"GET {url[:80]}: {response.status_code} {response.text[:150]!r}")
                    continue
                problem = no_raw_markup(response.text)
                if path.startswith("/api/") and response.status_code >= 400:
                    problem = problem or check_error(response, {404, 422})
                if problem:
                    problems.append(f"GET {url[:80]}: {problem}")
    assert not problems, "\n".join(problems)


# --- every route that takes input is swept --------------------------------------------------------

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def test_every_route_that_takes_input_has_a_row(app):  # type: ignore[no-untyped-def]
    """Every form (an HTML route that changes something) and every JSON endpoint with a body has a
    row above, or is listed with the reason it has none; every row and exclusion names a route."""
    routes = app_routes(app)
    placeholders = dict.fromkeys(re.findall(r"\{(\w+)\}", str([r.path for r in FORMS + ENDPOINTS])), 1)  # type: ignore[operator]
    problems = []
    covered = set()
    for row in [*FORMS, *ENDPOINTS]:
        method = getattr(row, "method", "POST")
        route = route_of(routes, method, row.path.format(**placeholders))
        if route is None or (route.is_api and not route.body):
            problems.append(f"the row for {method} {row.path} names no form or JSON endpoint with a body")
        else:
            covered.add(route.name)
    forms = {r.name for r in routes if not r.is_api and r.method in UNSAFE}
    bodies = {r.name for r in routes if r.body}
    problems += [f"{name}: a form without a row in FORMS" for name in sorted(forms - covered - set(FORMLESS))]
    problems += [
        f"{name}: a body without a row in ENDPOINTS" for name in sorted(bodies - covered - set(BODYLESS))
    ]
    known = {r.name for r in routes}
    problems += [f"{name}: excluded, but no such route" for name in sorted({*FORMLESS, *BODYLESS} - known)]
    templates = {r.template for r in routes}
    problems += [f"{t}: named, but no such route" for t in sorted({*KEY_ANSWERS, *NEEDED_QUERY} - templates)]
    problems += [f"{t}: named, but no such route" for t, _ in sorted(set(REAL_PARAMS)) if t not in templates]
    assert not problems, "\n".join(problems)


# --- CSRF, content types, sizes -------------------------------------------------------------------


def state_changing_routes(env: Env) -> list[tuple[str, str]]:
    """Every route that changes something, with its placeholders filled in."""
    fill = {
        "{thread_id}": str(env.thread_id), "{post_id}": str(env.answer_id), "{id}": str(env.answer_id),
        "{slug}": env.world.gold.slug, "{token}": env.invite_token, "{handle}": env.world.partner.handle,
    }  # fmt: skip
    found = []
    for method, template, _ in mounted_routes(env.app):
        if method in ("GET", "HEAD"):
            continue
        path = template
        for key, value in fill.items():
            path = path.replace(key, value)
        if template == "/api/v1/threads/{id}/posts":
            path = template.replace("{id}", str(env.thread_id))
        found.append((method, path))
    return found


# Unsafe routes that take no CSRF token, with the reason (community/app.py names them too).
CSRF_EXEMPT = {
    "/mail/unsubscribe/": "RFC 8058 one-click unsubscribe: mail programs POST it with no session; the "
    "signed token in the path is its only credential (tests/mail/test_notification_mails.py)",
}


async def test_missing_or_wrong_csrf_token_is_403(env: Env):
    before = await snapshot()
    problems = []
    browser = env.browsers["admin"]
    for method, path in state_changing_routes(env):
        if path.startswith(tuple(CSRF_EXEMPT)):
            continue
        for token in (None, "forged-token"):
            if path.startswith("/api/"):
                headers = {"X-CSRF-Token": token} if token else {}
                response = await browser.client.request(method, path, json={"body": "x"}, headers=headers)
                ok = response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
            else:
                data = {"body": "Fine text", **({"csrf_token": token} if token else {})}
                response = await browser.client.request(method, path, data=data)
                ok = response.status_code == 403 and response.headers["content-type"].startswith("text/html")
                ok = ok and "Reload the page" in response.text
            if not ok:
                problems.append(
                    f"{method} {path} with token {token}: {response.status_code} {response.text[:150]!r}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_forms_sent_with_the_wrong_content_type_are_415(env: Env):
    forms = await swept_forms(env)
    before = await snapshot()
    problems = []
    for form in forms:
        browser = env.browsers[form.who]
        headers = {"X-CSRF-Token": browser.csrf}
        for content, content_type in ((json.dumps(form.valid).encode(), "application/json"),
                                      (b"title=x", "text/plain"), (b"title=x", "")):  # fmt: skip
            sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
            response = await browser.client.post(form.path, content=content, headers=sent)
            if response.status_code != 415 or "submit the form" not in response.text:
                where = f"POST {form.row.path} as {content_type!r}"
                problems.append(f"{where}: {response.status_code} {response.text[:150]!r}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_oversized_bodies_are_413_too_large(env: Env):
    before = await snapshot()
    partner = env.browsers["partner"]
    huge_form = {"category": "general", "title": "A perfectly fine title", "body": "x" * 1_100_000}
    response = await partner.form("/ask", huge_form)
    assert response.status_code == 413 and "too large" in response.text
    # Too large for the CSRF check to read it at all: still "too large", not "the form expired".
    for path in ("/ask", f"/t/{env.thread_id}/reply"):
        response = await partner.client.post(
            path,
            content=b"body=" + b"x" * 2_500_000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413 and "too large" in response.text, (path, response.text[:200])
    response = await partner.client.post(
        "/api/v1/threads", json={"body": "x" * 2_500_000}, headers={"X-CSRF-Token": partner.csrf}
    )
    assert response.status_code == 413 and "too large" in response.json()["error"]["message"]
    response = await partner.client.post("/api/v1/threads", json={"body": "x" * 2_500_000})  # no token either
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    await assert_unchanged(before)
