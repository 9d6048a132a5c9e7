"""Bad input, swept over every form and every JSON endpoint that takes input.

Whatever arrives (empty or 100 KB text, 1 MB+ bodies, invalid UTF-8, NUL and control characters,
unknown, non-numeric or huge ids, malformed JSON, wrong JSON types, wrong content types, no CSRF
token, HTML and script in every text field) the answer is a clear 4xx, never a 500; forms come
back with the field's error and the input kept; script comes back escaped; and a refused request
leaves everything already saved as it was. Run it against PostgreSQL too: NUL bytes and integers
beyond 32 bits fail there in ways SQLite forgives.

The clients here do not re-raise server errors, so a 500 is reported with the request that caused
it, and each sweep collects every problem before failing.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape
from tortoise import Tortoise

from community.accounts import invitations, passwords, tokens
from community.forum import posts, threads
from community.kb import articles
from community.models import (
    ApiToken,
    Category,
    LoginFailure,
    Organisation,
    Post,
    PostRevision,
    ReviewItem,
    Thread,
    User,
)
from moderation import flags
from tests.conftest import CSRF_RE, PASSWORD, World, login
from tests.test_authorization_matrix import mounted_routes

HUGE_TEXT = "x" * 100_000
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CONTROL = "\x00\x07\x1b\u202e"
HUGE_INT = 2**70
# Digits str.isdigit() accepts and int() refuses: numbers parsed with isdigit() alone answer them with a 500.
ODD_DIGITS = ("²", "⑦", "1²")
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


@dataclass
class Browser:
    """A client with its own session; ``csrf`` is the session's token (empty when not needed)."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def form(self, path: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.client.post(path, data={**data, "csrf_token": self.csrf}, **kw)


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
    e.promotable_id = (await posts.reply(world.actor(world.colleague), thread.id, body="Or call us.")).id
    e.promotable_api_id = (await posts.reply(world.actor(world.colleague), thread.id, body="Or mail us.")).id
    clients = []
    for name, user in (("partner", world.partner), ("expert", world.expert), ("admin", world.admin)):
        client = make_client(app)
        clients.append(client)
        e.browsers[name] = Browser(client, await login(client, user))
        e.bearers[name] = {"Authorization": f"Bearer {await tokens.create_api_token(user)}"}
    anon = make_client(app)
    clients.append(anon)
    e.browsers["anon"] = Browser(anon, CSRF_RE.search((await anon.get("/login")).text).group(1))  # type: ignore[union-attr]
    try:
        yield e
    finally:
        for client in clients:
            await client.aclose()


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every saved row (sign-in failures and a token's "last used" aside: recording them is the
    point of a refused sign-in and of a call made with the token)."""
    state = {}
    for name, model in sorted(Tortoise.apps["community"].items()):
        if model is not LoginFailure:
            rows = await model.all().order_by("id").values()
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
    path: str  # placeholders: {thread}, {opening}, {gold}, {invite}, {reset}
    who: str
    valid: dict[str, str]
    texts: tuple[str, ...]  # typed by people and shown back to them
    required: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # picked from a list: anything else is refused
    secret: tuple[str, ...] = ()  # passwords: never shown back
    numbers: tuple[str, ...] = ()  # whole numbers: ones beyond any column are refused too
    refused: int = 422


FORMS = [
    Form("/login", "anon", {"email": "pat@gold.example", "password": "wrong password!", "next": "/"},
         texts=("email", "password"), required=("email", "password"), secret=("password",), refused=400),
    Form("/invitations/{invite}", "anon", {"display_name": "New Person", "password": "long enough password"},
         texts=("display_name", "password"), required=("display_name", "password"), secret=("password",)),
    Form("/password-reset/{reset}", "anon", {"password": "long enough password"},
         texts=("password",), required=("password",), secret=("password",)),
    Form("/account/profile", "expert",
         {"display_name": "Erin Expert", "bio": "Pricing.", "expertise_tags": "pricing"},
         texts=("display_name", "bio", "expertise_tags"), required=("display_name",)),
    Form("/account/password", "partner",
         {"current_password": PASSWORD, "new_password": "long enough password"},
         texts=("current_password", "new_password"), required=("current_password", "new_password"),
         secret=("current_password", "new_password")),
    Form("/account/tokens", "partner", {"name": "CRM sync"}, texts=("name",), required=("name",)),
    Form("/ask", "partner", {"category": "general", "kind": "question", "title": "A perfectly fine title",
                             "body": "Some details.", "tags": "pricing"},
         texts=("title", "body", "tags"), required=("title", "body"), choices=("category", "kind")),
    Form("/t/{thread}/reply", "partner", {"body": "An answer worth keeping."},
         texts=("body",), required=("body",)),
    Form("/posts/{opening}/edit", "partner", {"title": "How do I register a deal for a tender?",
                                               "body": "Which form?", "tags": "deals", "note": "typo"},
         texts=("title", "body", "tags", "note"), required=("title", "body")),
    Form("/orgs/{gold}/invitations", "partner", {"email": "new.colleague@gold.example"},
         texts=("email",), required=("email",)),
    Form("/admin/categories", "admin", {"name": "Product setup", "slug": "", "description": "Configs.",
                                        "visibility": "all"},
         texts=("name", "slug", "description"), required=("name",), choices=("visibility",)),
    Form("/admin/categories/general", "admin", {"name": "General questions", "description": "Anything.",
                                                "visibility": "all", "position": "0"},
         texts=("name", "description", "position"), required=("name",), choices=("visibility",),
         numbers=("position",)),
    Form("/admin/organisations", "admin", {"name": "Bronze Partners Oy", "tier": "silver", "description": ""},
         texts=("name", "description"), required=("name",), choices=("tier",)),
    Form("/admin/invitations", "admin",
         {"email": "someone@silver.example", "organisation": "silver-systems-ltd", "role": "partner"},
         texts=("email",), required=("email", "organisation"), choices=("organisation", "role")),
    Form("/posts/{answer}/flag", "partner", {"reason": "other", "note": "Wrong product line"},
         texts=("note",), required=("note",), choices=("reason",)),
    Form("/moderation/items/{item}/decide", "admin", {"decision": "hide", "reason": "Advertising"},
         texts=("reason",), required=("reason",), choices=("decision",)),
    Form("/admin/watched-words", "admin", {"pattern": "competitor x", "action": "hold", "categories": ""},
         texts=("pattern", "categories"), required=("pattern",), choices=("action",)),
    Form("/admin/watched-words/test", "admin", {"text": "A sample text", "category": "general"},
         texts=("text",), required=("text",), choices=("category",)),
    Form("/posts/{promotable}/promote", "expert",
         {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
          "tags": "deals", "category": "general", "note": "", "state": "published", "action": "save"},
         texts=("title", "summary", "body", "tags", "note"), required=("title", "body"),
         choices=("category", "state"), numbers=("products",)),
    Form("/kb/{article}/edit", "expert",
         {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
          "tags": "deals", "category": "general", "note": "clearer", "version": "", "action": "save"},
         texts=("title", "summary", "body", "tags", "note"), required=("title", "body"),
         choices=("category",), numbers=("version", "products")),
    Form("/kb/{article}/edit", "expert",
         {"title": "Registering deals for tenders", "summary": "", "body": "The **form**.", "tags": "deals",
          "category": "general", "note": "", "version": "", "action": "preview"},
         texts=("title", "summary", "tags", "note"), required=("body",)),
    Form("/kb/{article}/review", "partner", {"reason": "Firmware 5 changed the menu"},
         texts=("reason",), required=("reason",)),
    Form("/kb/products", "expert", {"name": "Router X200"}, texts=("name",), required=("name",)),
    Form("/admin/watched-words/categories", "admin", {"category": "general", "confidentiality": "off"},
         texts=(), required=("confidentiality",), choices=("category", "confidentiality")),
    Form("/moderation/users/{pat}/sanctions", "admin", {"kind": "silence", "days": "7", "reason": "Spam"},
         texts=("reason",), required=("reason", "kind"), choices=("kind", "days", "review_item_id"),
         numbers=("days", "review_item_id")),
    Form("/t/{thread}/flag", "expert", {"reason": "other", "note": "Wrong product line"},
         texts=("note",), required=("note",), choices=("reason",)),
    Form("/admin/announcements", "admin", {"title": "Partner summit in May", "body": "Join us.",
                                           "audience": "all"},
         texts=("title", "body"), required=("title", "body"), choices=("audience",)),
    # Last: a valid move takes the thread to the staff room.
    Form("/t/{thread}/move", "admin", {"category": "staff-room", "reason": "Internal"},
         texts=("reason",), required=("category",), choices=("category",)),
]  # fmt: skip


def form_path(env: Env, form: Form) -> str:
    return form.path.format(
        thread=env.thread_id, opening=env.opening_id, gold=env.world.gold.slug,
        invite=env.invite_token, reset=env.reset_token, answer=env.answer_id, item=env.review_item,
        pat=env.world.partner.handle,
        article=env.article_id, promotable=env.promotable_id,
    )  # fmt: skip


def check_refusal(form: Form, name: str, sent: dict[str, str], response: httpx.Response) -> str | None:
    """A refused form: the right status, the field's error, and what was typed still there."""
    if response.status_code != form.refused:
        return f"answered {response.status_code}, expected {form.refused}: {response.text[:200]!r}"
    if form.path == "/login":
        ok = "error-summary" in response.text and str(escape(sent["email"])) in response.text
        return None if ok else "no error message, or the e-mail address was not kept"
    # A form sharing its page with another names its fields with a prefix ("sanction-reason-error").
    if name in form.texts and not re.search(rf'id="(?:[\w-]+-)?{name}-error"', response.text):
        return f"no error shown at the {name} field"
    if name in form.choices and "error-summary" not in response.text:
        return "no error summary"
    for other in form.texts:
        if other not in form.secret and str(escape(sent[other])) not in response.text:
            return f"the {other} field lost what was typed"
    return no_raw_markup(response.text)


async def test_forms_refuse_empty_and_huge_text_and_keep_the_input(env: Env):
    before = await snapshot()
    problems = []
    for form in FORMS:
        path = form_path(env, form)
        browser = env.browsers[form.who]
        cases = [(name, "") for name in form.required]
        cases += [(name, HUGE_TEXT) for name in form.texts + form.choices]
        cases += [
            (name, n)
            for name in form.numbers
            for n in (str(HUGE_INT), f"-{HUGE_INT}", "1" * 5000, "1.5", *ODD_DIGITS)
        ]
        for name, value in cases:
            sent = {**form.valid, name: value}
            response = await browser.form(path, sent)
            if problem := check_refusal(form, name, sent, response):
                problems.append(
                    f"POST {form.path} with {name}={value[:10]!r}{'...' if value else ''}: {problem}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_forms_refuse_invalid_utf8_and_odd_encodings(env: Env):
    before = await snapshot()
    problems = []
    for form in FORMS:
        path = form_path(env, form)
        browser = env.browsers[form.who]
        token = f"csrf_token={browser.csrf}".encode()
        name = (form.required or form.texts)[0]
        for raw in (
            f"{name}=%FF%FE%FD".encode(),
            f"{name}=".encode() + b"\xff\xfe",
            f"{name}=%ED%A0%80".encode(),
        ):
            response = await browser.client.post(
                path,
                content=token + b"&" + raw,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            if response.status_code != 400 or "UTF-8" not in response.text:
                problems.append(
                    f"POST {form.path} with {raw!r}: {response.status_code} {response.text[:200]!r}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_script_and_control_characters_in_every_text_field(env: Env):
    """Accepted or refused, what was typed comes back as text: escaped on every page that shows it,
    stored without control characters."""
    problems = []
    for form in FORMS:
        path = form_path(env, form)
        browser = env.browsers[form.who]
        for name in form.texts + form.choices:
            if name in form.secret:
                continue
            value = f"{SCRIPT} Fine text{CONTROL} here"
            response = await browser.form(path, {**form.valid, name: value})
            where = f"POST {form.path} with script in {name}"
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
    bad = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]")
    stored: list[tuple[str, object]] = []
    for model, names in (
        (Thread, ("title",)), (Post, ("body_source", "body_html")),
        (PostRevision, ("title", "note", "body_source")),
        (User, ("display_name", "bio", "email")), (Category, ("name", "description", "slug")),
        (Organisation, ("name", "description", "slug")),
    ):  # fmt: skip
        for row in await model.all().values("id", *names):
            stored += [(f"{model.__name__}.{n}#{row['id']}", row[n]) for n in names]
    found = [where for where, value in stored if isinstance(value, str) and bad.search(value)]
    assert not found, f"control characters were saved in: {found}"


# --- JSON endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # placeholders: {thread}, {opening}, {gold}
    who: str
    valid: dict[str, Any]
    fields: tuple[str, ...]  # each one refused with a wrong type, named in error.fields
    numbers: tuple[str, ...] = ()  # whole numbers: also refused as text of odd digits


ENDPOINTS = [
    Endpoint("POST", "/api/v1/threads", "partner",
             {"category": "general", "kind": "question", "title": "A perfectly fine title",
              "body": "Details.", "tags": ["pricing"]},
             ("category", "kind", "title", "body", "tags")),
    Endpoint("POST", "/api/v1/threads/{thread}/posts", "partner", {"body": "An answer."}, ("body",)),
    Endpoint("PATCH", "/api/v1/posts/{opening}", "partner",
             {"body": "Which form?", "title": "How do I register a deal for a tender?", "tags": ["deals"],
              "note": "typo"},
             ("body", "title", "tags", "note")),
    Endpoint("POST", "/api/v1/categories", "admin",
             {"name": "Product setup", "slug": "product-setup", "description": "", "visibility": "all"},
             ("name", "slug", "description", "visibility")),
    Endpoint("POST", "/api/v1/organisations/{gold}/invitations", "partner",
             {"email": "new.colleague@gold.example", "role": "partner"}, ("email", "role")),
    Endpoint("POST", "/api/v1/posts/{answer}/flags", "partner", {"reason": "other", "note": "Wrong line"},
             ("reason", "note")),
    Endpoint("POST", "/api/v1/moderation/items/{item}/decision", "admin",
             {"decision": "hide", "reason": "Advertising"}, ("decision", "reason", "title")),
    Endpoint("POST", "/api/v1/moderation/watched-words", "admin",
             {"pattern": "competitor x", "action": "hold", "categories": ["general"]},
             ("pattern", "action", "categories")),
    Endpoint("POST", "/api/v1/posts/{promotable}/promote", "expert",
             {"title": "Registering deals for tenders", "summary": "Use the form.", "body": "The **form**.",
              "tags": ["deals"], "category": "general", "note": "", "state": "published"},
             ("title", "summary", "body", "tags", "category", "note", "state")),
    Endpoint("PATCH", "/api/v1/kb/articles/{article}", "expert",
             {"title": "Registering deals for tenders", "summary": "", "body": "The **form**.",
              "tags": ["deals"], "category": "general", "note": "", "base_version": 1},
             ("title", "summary", "body", "tags", "category", "note", "base_version"),
             numbers=("base_version",)),
    Endpoint("POST", "/api/v1/kb/articles/{article}/versions/1/restore", "expert", {"note": "back"},
             ("note",)),
    Endpoint("POST", "/api/v1/kb/articles/{article}/state", "expert", {"state": "published"}, ("state",)),
    Endpoint("POST", "/api/v1/kb/articles/{article}/review", "partner", {"reason": "Old"}, ("reason",)),
    Endpoint("POST", "/api/v1/kb/products", "expert", {"name": "Router X200"}, ("name",)),
    Endpoint("POST", "/api/v1/moderation/rules/test", "admin", {"text": "A sample", "category": "general"},
             ("text", "category")),
    Endpoint("POST", "/api/v1/moderation/sanctions", "admin",
             {"user": "pat-partner", "kind": "silence", "reason": "Spam", "days": 7, "review_item_id": None},
             ("kind", "reason", "days", "review_item_id"), numbers=("days", "review_item_id")),
    Endpoint("POST", "/api/v1/moderation/rules/categories", "admin",
             {"category": "general", "confidentiality": "off"}, ("category", "confidentiality")),
    Endpoint("POST", "/api/v1/threads/{thread}/flags", "expert", {"reason": "other", "note": "Wrong line"},
             ("reason", "note")),
    Endpoint("POST", "/api/v1/threads/{thread}/status", "admin", {"status": "closed", "reason": "Done"},
             ("status", "reason")),
    Endpoint("POST", "/api/v1/threads/{thread}/lock", "admin", {"locked": True, "reason": "Heated"},
             ("reason",)),
    Endpoint("POST", "/api/v1/threads/{thread}/pin", "admin", {"pinned": True, "reason": "Useful"},
             ("reason",)),
    Endpoint("POST", "/api/v1/threads/{thread}/move", "admin", {"category": "staff-room", "reason": "Moved"},
             ("category", "reason")),
    Endpoint("POST", "/api/v1/threads/{thread}/merge", "admin", {"into": "/t/{thread}", "reason": "Same"},
             ("into", "reason")),
    Endpoint("POST", "/api/v1/threads/{thread}/duplicate", "admin", {"of": "/t/{thread}", "reason": "Same"},
             ("of", "reason")),
    Endpoint("POST", "/api/v1/watches", "partner",
             {"target_type": "category", "target": "general", "level": "watching"},
             ("target_type", "target", "level")),
    Endpoint("PUT", "/api/v1/notifications/preferences", "partner", {"muted_kinds": ["mention"]},
             ("muted_kinds",)),
    Endpoint("POST", "/api/v1/announcements", "admin",
             {"title": "Partner summit in May", "body": "Join us.", "audience": "all"},
             ("title", "body", "audience")),
]  # fmt: skip

WRONG_TYPES: list[object] = [HUGE_INT, 1.5, True, False, 0, [], {}, [1, 2], [["a"]], {"a": 1}, HUGE_TEXT]
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


def endpoint_path(env: Env, endpoint: Endpoint) -> str:
    return endpoint.path.format(
        thread=env.thread_id, opening=env.opening_id, gold=env.world.gold.slug, answer=env.answer_id,
        item=env.review_item, article=env.article_id, promotable=env.promotable_id,
    )  # fmt: skip


def check_error(response: httpx.Response, status: int) -> str | None:
    if response.status_code != status:
        return f"answered {response.status_code}, expected {status}: {response.text[:200]!r}"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not the error shape: {response.text[:200]!r}"
    if not (
        isinstance(error.get("message"), str) and error["message"] and isinstance(error.get("code"), str)
    ):
        return f"no clear message: {error!r}"
    return None


async def test_json_bodies_that_are_not_an_object_are_refused(env: Env):
    before = await snapshot()
    problems = []
    client = env.browsers["anon"].client
    for endpoint in ENDPOINTS:
        path = endpoint_path(env, endpoint)
        for raw, content_type, status in BAD_BODIES:
            headers = {
                **env.bearers[endpoint.who],
                **({"Content-Type": content_type} if content_type else {}),
            }
            response = await client.request(endpoint.method, path, content=raw, headers=headers)
            if problem := check_error(response, status):
                problems.append(
                    f"{endpoint.method} {endpoint.path} with {raw[:30]!r} ({content_type}): {problem}"
                )
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_json_fields_of_the_wrong_type_are_field_errors(env: Env):
    before = await snapshot()
    problems = []
    client = env.browsers["anon"].client
    for endpoint in ENDPOINTS:
        path = endpoint_path(env, endpoint)
        for name in endpoint.fields:
            for value in WRONG_TYPES + (list(ODD_DIGITS) if name in endpoint.numbers else []):
                if name in ("tags", "categories", "muted_kinds") and value == []:  # none at all: fine
                    continue
                body = {**endpoint.valid, name: value}
                response = await client.request(
                    endpoint.method, path, json=body, headers=env.bearers[endpoint.who]
                )
                where = f"{endpoint.method} {endpoint.path} with {name}={str(value)[:20]}"
                if problem := check_error(response, 422):
                    problems.append(f"{where}: {problem}")
                elif name not in response.json()["error"]["fields"]:
                    problems.append(f"{where}: the error does not name {name}: {response.text[:200]!r}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


# --- ids, keys and query parameters ---------------------------------------------------------------

BAD_IDS = ["0", "-1", "abc", "1.5", "1e3", "987654", str(2**31), str(2**63), str(HUGE_INT), "%00", "1%00",
           "%20", "%D9%A3", "0x10"]  # fmt: skip
BAD_KEYS = ["%00", "a%00b", "%FF", "%ED%A0%80", "x" * 300, "%3Cscript%3Ealert(1)", "%E2%80%AE",
            "%20", "no-such-thing", "%0A", "%C0%AF"]  # fmt: skip
ID_ROUTES = [
    ("GET", "/t/{}"), ("POST", "/t/{}/reply"), ("GET", "/posts/{}/edit"), ("POST", "/posts/{}/edit"),
    ("GET", "/posts/{}/delete"), ("POST", "/posts/{}/delete"), ("GET", "/posts/{}/revisions"),
    ("POST", "/posts/{}/vote"), ("POST", "/posts/{}/accept"),
    ("GET", "/api/v1/threads/{}"), ("POST", "/api/v1/threads/{}/posts"), ("GET", "/api/v1/posts/{}"),
    ("PATCH", "/api/v1/posts/{}"), ("DELETE", "/api/v1/posts/{}"), ("GET", "/api/v1/posts/{}/revisions"),
    ("POST", "/api/v1/posts/{}/accept"), ("DELETE", "/api/v1/posts/{}/accept"),
    ("POST", "/api/v1/posts/{}/votes"), ("DELETE", "/api/v1/posts/{}/votes"),
    ("GET", "/posts/{}/flag"), ("POST", "/posts/{}/flag"), ("POST", "/api/v1/posts/{}/flags"),
    ("GET", "/moderation/items/{}"), ("POST", "/moderation/items/{}/claim"),
    ("POST", "/moderation/items/{}/decide"), ("GET", "/api/v1/moderation/items/{}"),
    ("POST", "/api/v1/moderation/items/{}/claim"), ("DELETE", "/api/v1/moderation/items/{}/claim"),
    ("POST", "/api/v1/moderation/items/{}/decision"), ("POST", "/moderation/audit/{}/restore"),
    ("POST", "/api/v1/moderation/audit/{}/restore"), ("POST", "/admin/watched-words/{}/delete"),
    ("DELETE", "/api/v1/moderation/watched-words/{}"),
    ("POST", "/moderation/sanctions/{}/lift"), ("POST", "/api/v1/moderation/sanctions/{}/lift"),
    ("GET", "/t/{}/flag"), ("POST", "/t/{}/flag"), ("POST", "/api/v1/threads/{}/flags"),
    ("POST", "/t/{}/status"), ("POST", "/t/{}/lock"), ("POST", "/t/{}/pin"), ("POST", "/t/{}/move"),
    ("POST", "/t/{}/merge"), ("POST", "/t/{}/duplicate"), ("POST", "/api/v1/threads/{}/status"),
    ("POST", "/api/v1/threads/{}/lock"), ("POST", "/api/v1/threads/{}/pin"),
    ("POST", "/api/v1/threads/{}/move"), ("POST", "/api/v1/threads/{}/merge"),
    ("POST", "/api/v1/threads/{}/duplicate"),
    ("GET", "/api/v1/kb/articles/{}"), ("PATCH", "/api/v1/kb/articles/{}"),
    ("GET", "/api/v1/kb/articles/{}/versions"), ("GET", "/api/v1/kb/articles/{}/compare?from=1&to=1"),
    ("POST", "/api/v1/kb/articles/{}/versions/1/restore"),
    ("POST", "/api/v1/kb/articles/1/versions/{}/restore"),
    ("POST", "/api/v1/kb/articles/{}/state"), ("POST", "/api/v1/kb/articles/{}/review"),
    ("DELETE", "/api/v1/kb/articles/{}/review"), ("POST", "/api/v1/kb/articles/{}/rating"),
    ("DELETE", "/api/v1/kb/articles/{}/rating"), ("POST", "/api/v1/posts/{}/promote"),
    ("POST", "/api/v1/kb/products/{}/versions"), ("PATCH", "/api/v1/kb/product-versions/{}"),
    ("GET", "/kb/{}"), ("GET", "/kb/{}/edit"), ("POST", "/kb/{}/edit"), ("GET", "/kb/{}/versions"),
    ("GET", "/kb/{}/compare?from=1&to=1"), ("POST", "/kb/{}/versions/1/restore"),
    ("POST", "/kb/1/versions/{}/restore"), ("POST", "/kb/{}/state"), ("POST", "/kb/{}/review"),
    ("POST", "/kb/{}/rating"), ("GET", "/posts/{}/promote"), ("POST", "/posts/{}/promote"),
    ("POST", "/kb/products/{}/versions"), ("POST", "/kb/product-versions/{}/superseded"),
    ("GET", "/posts/{}"), ("POST", "/notifications/{}/open"), ("POST", "/api/v1/notifications/{}/read"),
    ("DELETE", "/api/v1/watches/{}"), ("GET", "/announcements/{}"), ("GET", "/api/v1/announcements/{}"),
]  # fmt: skip
KEY_ROUTES: list[tuple[str, str, set[int]]] = [
    ("GET", "/c/{}", {404}), ("GET", "/tags/{}", {200, 422}), ("GET", "/u/{}", {404}),
    ("GET", "/orgs/{}", {404}), ("POST", "/orgs/{}/invitations", {404}),
    ("GET", "/admin/categories/{}", {404}), ("POST", "/admin/categories/{}", {404}),
    ("GET", "/invitations/{}", {404}), ("POST", "/invitations/{}", {404}),
    ("GET", "/password-reset/{}", {410}), ("POST", "/password-reset/{}", {410}),
    ("GET", "/api/v1/users/{}", {404}), ("GET", "/api/v1/organisations/{}", {404}),
    ("POST", "/api/v1/organisations/{}/invitations", {404}),
    ("GET", "/moderation/users/{}", {404}), ("POST", "/moderation/users/{}/sanctions", {404}),
]  # fmt: skip


async def _call(env: Env, method: str, path: str, data: dict[str, Any]) -> httpx.Response:
    """As the administrator (who may reach every route), through a form or the API."""
    browser = env.browsers["admin"]
    if path.startswith("/api/"):
        body = data if method in ("POST", "PATCH") else None
        return await browser.client.request(method, path, json=body, headers=env.bearers["admin"])
    if method == "GET":
        return await browser.client.get(path)
    return await browser.form(path, data)


async def test_unknown_malformed_and_huge_ids_and_keys_are_404(env: Env):
    before = await snapshot()
    problems = []
    data = {"body": "Fine text", "email": "someone@gold.example", "name": "Fine name", "visibility": "all",
            "password": "long enough password", "display_name": "New Person"}  # fmt: skip
    for method, template in ID_ROUTES:
        for bad in BAD_IDS:
            response = await _call(env, method, template.format(bad), data)
            if response.status_code != 404:
                problems.append(
                    f"{method} {template.format(bad)}: {response.status_code} {response.text[:150]!r}"
                )
    for method, template, allowed in KEY_ROUTES:
        for bad in BAD_KEYS:
            response = await _call(env, method, template.format(bad), data)
            where = f"{method} {template.format(bad)[:80]}"
            if response.status_code not in allowed:
                problems.append(
                    f"{where}: {response.status_code}, expected {allowed}: {response.text[:150]!r}"
                )
            elif problem := no_raw_markup(response.text):
                problems.append(f"{where}: {problem}")
    assert not problems, "\n".join(problems)
    await assert_unchanged(before)


async def test_odd_query_parameters_are_clear_4xx_or_ignored(env: Env):
    problems = []
    handle = env.world.partner.handle
    # Each page with the parameters it reads.
    paths = {
        "/": ("page", "show"), "/c/general": ("page", "show", "status", "tag"),
        "/tags/deals": ("page", "show"), f"/t/{env.thread_id}": ("page",), f"/u/{handle}": ("page",),
        "/api/v1/threads": ("page", "show", "status", "tag", "category"),
        f"/api/v1/threads/{env.thread_id}": ("page",),
        "/moderation/queue": ("kind", "reason", "category"),
        "/api/v1/moderation/queue": ("kind", "reason", "category"),
        "/moderation/audit": ("moderator", "user", "action", "since", "until"),
        "/moderation/audit.csv": ("moderator", "user", "action", "since", "until"),
        "/api/v1/moderation/audit": ("moderator", "user", "action", "since", "until"),
        "/api/v1/moderation/sanctions": ("user",),
        "/moderation/overview": ("page",), "/api/v1/moderation/overview": ("page",),
        "/notifications": ("after", "show"), "/api/v1/notifications": ("cursor", "limit", "unread"),
        "/kb": ("page", "product", "sort", "state", "category", "tag", "review"),
        "/api/v1/kb/articles": ("page", "product", "sort", "state", "category", "tag", "needs_review"),
        f"/kb/{env.article_id}/compare?from=1&to=1": ("from", "to"),
        f"/api/v1/kb/articles/{env.article_id}/compare?from=1&to=1": ("from", "to"),
    }  # fmt: skip
    values = [
        str(HUGE_INT),
        "-5",
        "abc",
        "%00",
        "%FF",
        "x" * 5000,
        "%3Cscript%3E",
        "last",
        "1e9",
        "%ED%A0%80",
        *(quote(d) for d in ODD_DIGITS),
    ]
    for path, names in paths.items():
        for name in names:
            for value in values:
                url = f"{path}{'&' if '?' in path else '?'}{name}={value}"
                response = await _call(env, "GET", url, {})
                if response.status_code not in (200, 404, 422):
                    problems.append(f"GET {url[:80]}: {response.status_code} {response.text[:150]!r}")
                elif problem := no_raw_markup(response.text):
                    problems.append(f"GET {url[:80]}: {problem}")
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


async def test_missing_or_wrong_csrf_token_is_403(env: Env):
    before = await snapshot()
    problems = []
    browser = env.browsers["admin"]
    for method, path in state_changing_routes(env):
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
    before = await snapshot()
    problems = []
    for form in FORMS:
        browser = env.browsers[form.who]
        headers = {"X-CSRF-Token": browser.csrf}
        for content, content_type in ((json.dumps(form.valid).encode(), "application/json"),
                                      (b"title=x", "text/plain"), (b"title=x", "")):  # fmt: skip
            sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
            response = await browser.client.post(form_path(env, form), content=content, headers=sent)
            if response.status_code != 415 or "submit the form" not in response.text:
                problems.append(
                    f"POST {form.path} as {content_type!r}: {response.status_code} {response.text[:150]!r}"
                )
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
