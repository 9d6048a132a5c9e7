"""The authorisation matrix: who gets what on every page and every API endpoint.

``MATRIX`` is the specification, one row per request: method, path (placeholders name things made
by the ``content`` fixture) and the answer each viewer must get, in the column order of ``VIEWERS``
(abbreviated in the column headers). The viewers are every role, a gold partner of another
organisation, partners of the other tiers, and someone not signed in. ``L`` means "303 to the
sign-in page" (anonymous HTML); ``303`` means a redirect anywhere else. Rows run in order, so
anything destructive acts on a post made for that row alone.

One long file on purpose: the matrix is one table read top to bottom (most of its length is rows),
and its checks apply to every row.

Beyond the status, every run checks that:
- a 404 for something hidden is byte for byte the 404 for something that never existed;
- no response a viewer receives mentions a thread, post or category they may not see;
- counts (profiles, lists, categories) leave out what the viewer may not see;
- nothing a refused request named has changed in the database afterwards (threads, posts, and the
  watched words, hidden posts and sanctions that the moderation rows name);
- the watched words, hidden posts and sanctions that an allowed request named have changed (the word
  deleted, the post visible again, the sanction lifted);
- every route the app mounts has at least one row (a new route without one fails the test).
"""

from __future__ import annotations

import dataclasses
import io
import re
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.routing import Mount, Route, WebSocketRoute, compile_path

from community import images
from community.accounts import directory, invitations, passwords, people, tokens
from community.actor import Actor
from community.forum import posts, thread_actions, threads
from community.health.threads import FIGURES, STAFF_ONLY
from community.kb import articles, products
from community.mail import queue as mail_queue
from community.mail.transport import list_files, outbox_dir
from community.mail.unsubscribe import unsubscribe_token
from community.models import (
    ApiToken,
    AuditEntry,
    MailState,
    Notification,
    OutgoingMail,
    Post,
    ReviewItem,
    Sanction,
    Thread,
    Watch,
    WatchedWord,
)
from community.notifications import announcements
from community.search.indexer import Indexer
from moderation import flags, sanctions, watched_words
from tests.api.conftest import check_against_document
from tests.conftest import CSRF_RE, PASSWORD, World, login

VIEWERS = (
    "anon",
    "partner",
    "colleague",
    "other_org",
    "silver",
    "registered",
    "expert",
    "moderator",
    "admin",
)
SEES_GOLD = {"partner", "colleague", "other_org", "expert", "moderator", "admin"}
SEES_PRIVATE = {"partner", "colleague", "expert", "moderator", "admin"}  # the gold organisation's
STAFF = {"expert", "moderator", "admin"}
MISSING_ID = 987_654


# A picture for the image rows (sent as a file where a row's data says "<png>").
def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict[str, str]
    data: dict[str, Any] | None = None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def keys(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.path) if name]


def r(method: str, path: str, answers: str, data: dict[str, Any] | None = None) -> Row:
    codes = answers.split()
    assert len(codes) == len(VIEWERS), f"{method} {path}: {len(codes)} answers for {len(VIEWERS)} viewers"
    return Row(method, path, dict(zip(VIEWERS, codes, strict=True)), data)


EDIT = {"body": "Edited text, still helpful.", "note": "matrix"}
EDIT_OPENING = {**EDIT, "title": "How do I register a deal for a tender?", "tags": "rebates"}
REPLY = {"body": "One more answer from the matrix."}
KB_API_EDIT = {
    "title": "An article edited through the API",
    "body": "Edited article text.",
    "tags": ["rebates"],
}
KB_EDIT = {
    "title": "An article edited by the matrix",
    "summary": "",
    "body": "Edited article text.",
    "tags": "rebates",
    "category": "general",
    "note": "matrix",
    "action": "save",
}


def ask(category: str, title: str) -> dict[str, Any]:
    return {"category": category, "kind": "question", "title": title, "body": "Details here."}


# fmt: off
MATRIX: list[Row] = [
    # --- public: no sign-in needed ------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/healthz",                                       "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/favicon.ico",                                   "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/help/api",                                      "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/static/css/site.css",                           "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/openapi.json",                           "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1",                                        "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/",                                       "200 200 200 200 200 200 200 200 200"),
    r("GET",    "/login",                                         "200 303 303 303 303 303 303 303 303"),
    r("POST",   "/login",                                         "400 400 400 400 400 400 400 400 400",
      {"email": "nobody@example.invalid", "password": "not the password", "next": "/"}),
    # Single sign-on is not configured here (tests/accounts/test_sso.py runs it against a real provider).
    r("GET",    "/sso/company/start",                             "404 404 404 404 404 404 404 404 404"),
    r("GET",    "/sso/org-{gold_org}/start",                      "404 404 404 404 404 404 404 404 404"),
    r("GET",    "/sso/company/callback?code=c0de&state=5tate",    "404 404 404 404 404 404 404 404 404"),
    r("GET",    "/sso/company/login",                             "404 404 404 404 404 404 404 404 404"),
    r("GET",    "/sso/org-no-such-org/start",                     "404 404 404 404 404 404 404 404 404"),
    r("POST",   "/sso/discover",                                  "400 400 400 400 400 400 400 400 400",
      {"email": "someone@gold.example", "next": "/"}),
    r("GET",    "/invitations/{invite_token}",                    "200 200 200 200 200 200 200 200 200"),
    r("POST",   "/invitations/{invite_token}",                    "422 422 422 422 422 422 422 422 422",
      {"display_name": "New Person", "password": "short"}),
    r("GET",    "/invitations/not-a-real-token",                  "404 404 404 404 404 404 404 404 404"),
    r("POST",   "/invitations/not-a-real-token",                  "404 404 404 404 404 404 404 404 404",
      {"display_name": "New Person", "password": "long enough password"}),
    r("GET",    "/password-reset/{reset_token}",                  "200 200 200 200 200 200 200 200 200"),
    r("POST",   "/password-reset/{reset_token}",                  "422 422 422 422 422 422 422 422 422",
      {"password": "short"}),
    r("GET",    "/password-reset/not-a-real-token",               "410 410 410 410 410 410 410 410 410"),
    r("POST",   "/password-reset/not-a-real-token",               "410 410 410 410 410 410 410 410 410",
      {"password": "long enough password"}),
    r("GET",    "/password-reset",                                "200 200 200 200 200 200 200 200 200"),
    r("POST",   "/password-reset",                                "200 200 200 200 200 200 200 200 200",
      {"email": "nobody@example.invalid"}),
    # one-click unsubscribe: the signed token is the credential, whoever (if anyone) is signed in
    r("GET",    "/mail/unsubscribe/{unsub_token}",                "200 200 200 200 200 200 200 200 200"),
    r("POST",   "/mail/unsubscribe/{unsub_token}",                "200 200 200 200 200 200 200 200 200",
      {"List-Unsubscribe": "One-Click"}),
    r("GET",    "/mail/unsubscribe/not-a-real-token",             "404 404 404 404 404 404 404 404 404"),
    r("POST",   "/mail/unsubscribe/not-a-real-token",             "404 404 404 404 404 404 404 404 404",
      {"List-Unsubscribe": "One-Click"}),

    # --- lists and categories ----------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/",                                              "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/?show=unanswered",                              "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/categories",                                    "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/c/general",                                     "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/c/{gold_cat}",                                  "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/c/{staff_cat}",                                 "L   404 404 404 404 404 200 200 200"),
    r("GET",    "/c/no-such-category",                            "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/tags/rebates",                                  "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/search?q=rebate+schedule+escalation",           "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/search?q=partners&sort=newest",                 "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/ask",                                           "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/ask",                                           "L   303 303 303 303 303 303 303 303",
      ask("general", "A new question from the matrix")),
    r("POST",   "/ask",                                           "L   303 303 303 422 422 303 303 303",
      ask("gold-programme", "A gold question from the matrix")),
    r("POST",   "/ask",                                           "L   422 422 422 422 422 303 303 303",
      ask("staff-room", "A staff question from the matrix")),

    # --- thread pages and replies ------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/t/{pub_q}",                                     "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/t/{pub_q}?page=2",                              "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/t/{gold_q}",                                    "L   200 200 200 404 404 200 200 200"),
    # a private question: the asker's organisation (partner, colleague) and staff only
    r("GET",    "/t/{priv_q}",                                    "L   200 200 404 404 404 200 200 200"),
    r("GET",    "/t/{staff_d}",                                   "L   404 404 404 404 404 200 200 200"),
    r("GET",    "/t/{missing}",                                   "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/t/{pub_q}/reply",                               "L   303 303 303 303 303 303 303 303",
      REPLY),
    r("POST",   "/t/{pub_closed}/reply",                          "L   403 403 403 403 403 403 303 303",
      REPLY),
    r("POST",   "/t/{gold_q}/reply",                              "L   303 303 303 404 404 303 303 303",
      REPLY),
    r("POST",   "/t/{staff_d}/reply",                             "L   404 404 404 404 404 303 303 303",
      REPLY),
    r("POST",   "/t/{missing}/reply",                             "L   404 404 404 404 404 404 404 404",
      REPLY),
    # the editor's live preview: anyone signed in (it renders the text it is sent, and saves nothing)
    r("POST",   "/preview",                                       "L   200 200 200 200 200 200 200 200",
      {"body": "A **preview** from the matrix, @erin."}),
    # the editor's completion (people the caller may know of; in a thread, only who may see it)
    r("GET",    "/api/v1/people/suggestions?q=e",                 "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/people/suggestions?q=&thread={gold_q}",  "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/people/suggestions?q=&thread={staff_d}", "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/tags/suggestions?q=reb",                 "401 200 200 200 200 200 200 200 200"),
    # images: anyone signed in who may post uploads one and sees them; avatars are one's own
    r("POST",   "/images",                                        "L   201 201 201 201 201 201 201 201",
      {"image": "<png>"}),
    r("GET",    "/images/{image_key}",                            "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/images/{missing_image}",                        "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/account/avatar",                                "L   303 303 303 303 303 303 303 303",
      {"avatar": "<png>"}),
    r("POST",   "/account/avatar/remove",                         "L   303 303 303 303 303 303 303 303"),

    # --- one post: edit (author or staff), delete (author or moderator), revisions, votes, accept ---
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/posts/{pub_open}/edit",                         "L   200 403 403 403 403 200 200 200"),
    r("POST",   "/posts/{pub_open}/edit",                         "L   303 403 403 403 403 303 303 303",
      EDIT_OPENING),
    r("GET",    "/posts/{pub_ans}/edit",                          "L   403 403 403 403 403 200 200 200"),
    r("POST",   "/posts/{pub_ans}/edit",                          "L   403 403 403 403 403 303 303 303",
      EDIT),
    r("GET",    "/posts/{gold_ans}/edit",                         "L   403 403 403 404 404 200 200 200"),
    r("POST",   "/posts/{gold_open}/edit",                        "L   303 403 403 404 404 303 303 303",
      {**EDIT, "title": "Gold rebate schedule for the third quarter", "tags": "rebates"}),
    r("GET",    "/posts/{staff_rep}/edit",                        "L   404 404 404 404 404 200 200 200"),
    r("POST",   "/posts/{staff_rep}/edit",                        "L   404 404 404 404 404 303 303 303",
      EDIT),
    r("GET",    "/posts/{missing}/edit",                          "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/posts/{missing}/edit",                          "L   404 404 404 404 404 404 404 404",
      EDIT),
    r("GET",    "/posts/{pub_del}/delete",                        "L   200 403 403 403 403 403 200 200"),
    r("POST",   "/posts/{pub_del}/delete",                        "L   303 403 403 403 403 403 303 303"),
    r("GET",    "/posts/{gold_del}/delete",                       "L   200 403 403 404 404 403 200 200"),
    r("POST",   "/posts/{gold_del}/delete",                       "L   303 403 403 404 404 403 303 303"),
    r("GET",    "/posts/{staff_del}/delete",                      "L   404 404 404 404 404 200 200 200"),
    r("POST",   "/posts/{staff_del}/delete",                      "L   404 404 404 404 404 303 303 303"),
    r("POST",   "/posts/{missing}/delete",                        "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/posts/{pub_ans}/revisions",                     "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/posts/{gold_ans}/revisions",                    "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/posts/{staff_rep}/revisions",                   "L   404 404 404 404 404 200 200 200"),
    r("GET",    "/posts/{missing}/revisions",                     "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/posts/{pub_ans}/vote",                          "L   303 303 303 303 303 403 303 303",
      {"helpful": "1"}),
    r("POST",   "/posts/{gold_ans}/vote",                         "L   303 303 303 404 404 403 303 303",
      {"helpful": "1"}),
    r("POST",   "/posts/{staff_rep}/vote",                        "L   404 404 404 404 404 303 403 303",
      {"helpful": "1"}),
    r("POST",   "/posts/{missing}/vote",                          "L   404 404 404 404 404 404 404 404",
      {"helpful": "1"}),
    r("POST",   "/posts/{pub_ans}/accept",                        "L   303 403 403 403 403 403 303 303",
      {"accept": "1"}),
    r("POST",   "/posts/{gold_ans}/accept",                       "L   303 403 403 404 404 403 303 303",
      {"accept": "1"}),
    r("POST",   "/posts/{staff_rep}/accept",                      "L   404 404 404 404 404 422 422 422",
      {"accept": "1"}),
    r("POST",   "/posts/{missing}/accept",                        "L   404 404 404 404 404 404 404 404",
      {"accept": "1"}),

    # --- knowledge base: articles inherit their category's audience; drafts and archived: staff ----
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/kb",                                            "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/kb?tag=rebates&sort=helpful",                   "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/kb?category={gold_cat}",                        "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/kb?state=archived",                             "L   422 422 422 422 422 200 200 200"),
    r("GET",    "/kb/{pub_art}",                                  "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/kb/{gold_art}",                                 "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/kb/{staff_art}",                                "L   404 404 404 404 404 200 200 200"),
    r("GET",    "/kb/{arch_art}",                                 "L   404 404 404 404 404 200 200 200"),
    r("GET",    "/kb/{missing}",                                  "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/kb/{gold_art}/versions",                        "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/kb/{gold_art}/compare?from=1&to=1",             "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/kb/{pub_art}/edit",                             "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/kb/{gold_art}/edit",                            "L   403 403 403 404 404 200 200 200"),
    r("POST",   "/kb/{pub_art}/edit",                             "L   403 403 403 403 403 303 303 303",
      KB_EDIT),
    r("POST",   "/kb/{gold_art}/edit",                            "L   403 403 403 404 404 303 303 303",
      {**KB_EDIT, "category": "gold-programme"}),
    r("POST",   "/kb/{gold_art}/versions/1/restore",              "L   403 403 403 404 404 303 303 303"),
    r("POST",   "/kb/{staff_art}/versions/1/restore",             "L   404 404 404 404 404 303 303 303"),
    r("POST",   "/kb/{pub_art}/rating",                           "L   303 303 303 303 303 303 303 303",
      {"helpful": "1"}),
    r("POST",   "/kb/{gold_art}/rating",                          "L   303 303 303 404 404 303 303 303",
      {"helpful": "0"}),
    r("POST",   "/kb/{arch_art}/rating",                          "L   404 404 404 404 404 409 409 409",
      {"helpful": "1"}),
    r("POST",   "/kb/{gold_art}/review",                          "L   303 303 303 404 404 303 303 303",
      {"reason": "Firmware 5 changed the menu"}),
    r("POST",   "/kb/{staff_art}/review",                         "L   404 404 404 404 404 303 303 303",
      {"reason": "Outdated"}),
    r("GET",    "/posts/{pub_ans2}/promote",                      "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/posts/{gold_ans}/promote",                      "L   403 403 403 404 404 303 303 303"),
    r("GET",    "/posts/{staff_rep}/promote",                     "L   404 404 404 404 404 303 303 303"),
    r("GET",    "/posts/{missing}/promote",                       "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/posts/{pub_ans2}/promote",                      "L   403 403 403 403 403 303 303 303",
      {"title": "Registering deals for tenders", "body": "Use the form.", "category": "general",
       "state": "published", "action": "save"}),
    r("POST",   "/posts/{gold_ans2}/promote",                     "L   403 403 403 404 404 422 422 422",
      {"title": "Gold rates, made public", "body": "Rates.", "category": "general", "action": "save"}),
    r("GET",    "/kb/products",                                   "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/kb/products",                                   "L   403 403 403 403 403 303 303 303",
      {"name": "Switch S10"}),
    r("POST",   "/kb/products/{product}/versions",                "L   403 403 403 403 403 303 303 303",
      {"version_name": "firmware 5.x"}),
    r("POST",   "/kb/products/{missing}/versions",                "L   403 403 403 403 403 404 404 404",
      {"version_name": "firmware 5.x"}),
    r("POST",   "/kb/product-versions/{product_version}/superseded", "L   403 403 403 403 403 303 303 303",
      {"superseded": "1"}),
    r("GET",    "/api/v1/kb/articles",                            "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/kb/articles?category={gold_cat}",        "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/kb/articles?state=draft",                "401 422 422 422 422 422 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{pub_art}",                  "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{gold_art}",                 "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{staff_art}",                "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{arch_art}",                 "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{missing}",                  "401 404 404 404 404 404 404 404 404"),
    r("PATCH",  "/api/v1/kb/articles/{gold_art}",                 "401 403 403 403 404 404 200 200 200",
      {**KB_API_EDIT, "category": "gold-programme"}),
    r("PATCH",  "/api/v1/kb/articles/{staff_art}",                "401 404 404 404 404 404 200 200 200",
      {**KB_API_EDIT, "category": "staff-room"}),
    r("GET",    "/api/v1/kb/articles/{gold_art}/versions",        "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/kb/articles/{gold_art}/compare?from=1&to=1", "401 200 200 200 404 404 200 200 200"),
    r("POST",   "/api/v1/kb/articles/{gold_art}/versions/1/restore", "401 403 403 403 404 404 200 200 200",
      {}),
    r("POST",   "/api/v1/kb/articles/{arch_art}/state",           "401 404 404 404 404 404 200 200 200",
      {"state": "archived"}),
    r("POST",   "/api/v1/kb/articles/{gold_art}/review",          "401 200 200 200 404 404 200 200 200",
      {"reason": "Firmware 5 changed the menu"}),
    r("DELETE", "/api/v1/kb/articles/{gold_art}/review",          "401 403 403 403 404 404 200 200 200"),
    r("POST",   "/api/v1/kb/articles/{gold_art}/rating",          "401 200 200 200 404 404 200 200 200",
      {"helpful": True}),
    r("DELETE", "/api/v1/kb/articles/{gold_art}/rating",          "401 200 200 200 404 404 200 200 200"),
    r("DELETE", "/api/v1/kb/articles/{staff_art}/rating",         "401 404 404 404 404 404 200 200 200"),
    r("POST",   "/api/v1/posts/{pub_ans3}/promote",               "401 403 403 403 403 403 201 201 201",
      {}),
    r("POST",   "/api/v1/posts/{gold_ans}/promote",               "401 403 403 403 404 404 409 409 409",
      {}),
    r("POST",   "/api/v1/posts/{missing}/promote",                "401 404 404 404 404 404 404 404 404",
      {}),
    r("GET",    "/api/v1/kb/products",                            "401 200 200 200 200 200 200 200 200"),
    r("POST",   "/api/v1/kb/products",                            "401 403 403 403 403 403 201 201 201",
      {"name": "Switch S20"}),
    r("POST",   "/api/v1/kb/products/{product}/versions",         "401 403 403 403 403 403 201 201 201",
      {"name": "firmware 6.x"}),
    r("POST",   "/api/v1/kb/products/{missing}/versions",         "401 403 403 403 403 403 404 404 404",
      {"name": "firmware 6.x"}),
    r("PATCH",  "/api/v1/kb/product-versions/{product_version}",  "401 403 403 403 403 403 200 200 200",
      {"superseded": True}),
    r("POST",   "/kb/{gold_art}/state",                           "L   403 403 403 404 404 303 303 303",
      {"state": "archived"}),

    # --- people and organisations ------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/u/{pat}",                                       "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/u/{expert}",                                    "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/u/nobody-here",                                 "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/orgs/{gold_org}",                               "L   200 200 403 403 403 200 200 200"),
    r("GET",    "/orgs/{company_org}",                            "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/orgs/no-such-org",                              "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/orgs/{gold_org}/invitations",                   "L   200 403 403 403 403 403 403 200",
      {"email": "html-invitee@gold.example"}),
    r("POST",   "/orgs/{silver_org}/invitations",                 "L   403 403 403 403 403 403 403 200",
      {"email": "html-invitee@silver.example"}),
    r("POST",   "/orgs/no-such-org/invitations",                  "L   404 404 404 404 404 404 404 404",
      {"email": "nobody-invitee@gold.example"}),
    r("GET",    "/orgs/{gold_org}/sign-in",                       "L   200 404 404 404 404 404 404 200"),
    r("GET",    "/orgs/{silver_org}/sign-in",                     "L   404 404 404 404 404 404 404 200"),
    r("GET",    "/orgs/{company_org}/sign-in",                    "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/orgs/no-such-org/sign-in",                      "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/orgs/{gold_org}/sign-in",                       "L   303 404 404 404 404 404 404 303",
      {"display_name": "Gold account", "issuer": "https://idp.gold.example", "client_id": "community",
       "client_secret": "s3cret", "email_domains": "gold.example", "scopes": "openid email",
       "groups_claim": "groups", "org_admin_group": "", "enabled": "on", "password_sign_in": "on"}),
    # An organisation's admin configures their own organisation's sign-in only.
    r("POST",   "/orgs/{silver_org}/sign-in",                     "L   404 404 404 404 404 404 404 303",
      {"display_name": "Silver account", "issuer": "https://idp.silver.example", "client_id": "community",
       "client_secret": "s3cret", "email_domains": "silver.example", "scopes": "openid email",
       "groups_claim": "groups", "org_admin_group": "", "enabled": "on", "password_sign_in": "on"}),
    r("POST",   "/orgs/{gold_org}/invitations/{gold_invite}/resend", "L   200 403 403 403 403 403 403 200"),
    # "Revoke?" asks first (GET: a confirmation page, nothing changes).
    r("GET",    "/orgs/{gold_org}/invitations/{gold_invite}/revoke", "L   200 403 403 403 403 403 403 200"),
    r("GET",    "/orgs/{gold_org}/invitations/{silver_invite}/revoke", "L   404 403 403 403 403 403 403 404"),
    r("GET",    "/orgs/{silver_org}/invitations/{silver_invite}/revoke",
      "L   403 403 403 403 403 403 403 200"),
    r("POST",   "/orgs/{gold_org}/invitations/{gold_invite}/revoke", "L   303 403 403 403 403 403 403 303"),
    r("POST",   "/orgs/{gold_org}/invitations/{silver_invite}/resend", "L   404 403 403 403 403 403 403 404"),
    r("POST",   "/orgs/{silver_org}/invitations/{silver_invite}/revoke",
      "L   403 403 403 403 403 403 403 303"),
    r("POST",   "/orgs/{gold_org}/invitations/{missing}/revoke",  "L   404 403 403 403 403 403 403 404"),
    r("GET",    "/account/profile",                               "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/account/profile",                               "L   303 303 303 303 303 303 303 303",
      {"display_name": "Renamed Member", "bio": "Works on channel deals.", "expertise_tags": "pricing"}),
    r("GET",    "/account/password",                              "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/account/organisation",                          "L   303 303 303 303 303 303 303 303"),
    r("GET",    "/account/tokens",                                "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/account/mail",                                  "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/account/mail",                                  "L   303 303 303 303 303 303 303 303",
      {"kinds": "answer", "digest": "weekly"}),
    r("POST",   "/account/tokens",                                "L   200 200 200 200 200 200 200 200",
      {"name": "CRM sync"}),
    r("POST",   "/account/tokens/{partner_token}/revoke",         "L   303 404 404 404 404 404 404 404"),
    r("POST",   "/account/tokens/{missing}/revoke",               "L   404 404 404 404 404 404 404 404"),

    # --- experts and routing: the directory for everyone; expertise by the expert or an admin;
    # passing a question on, staff (Erin, the one expert, was routed every question) ----------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/experts",                                       "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/experts?topic=rebates",                         "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/experts?topic=category:general",                "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/experts/{expert}",                              "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/experts/{pat}",                                 "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/experts/nobody-here",                           "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/experts/{expert}/edit",                         "L   403 403 403 403 403 200 403 200"),
    r("GET",    "/experts/{pat}/edit",                            "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/experts/{expert}/edit",                         "L   403 403 403 403 403 303 403 303",
      {"tags": "rebates, pricing", "categories": "general", "away_until": "", "stand_in": ""}),
    r("GET",    "/t/{pub_q}/pass",                                "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/t/{gold_q}/pass",                               "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/t/{staff_d}/pass",                              "L   403 403 403 403 403 409 409 409"),
    r("GET",    "/t/{missing}/pass",                              "L   403 403 403 403 403 404 404 404"),
    r("POST",   "/t/{gold_q}/pass",                               "L   403 403 403 403 403 303 422 303",
      {"to": "{moderator}", "note": "Mo knows the **gold** rates."}),
    r("GET",    "/waiting",                                       "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/waiting?routed=me",                             "L   403 403 403 403 403 200 200 200"),
    r("GET",    "/admin/response-targets",                        "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/response-targets/{gold_cat}",             "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/response-targets/no-such-category",       "L   403 403 403 403 403 403 403 404"),
    r("POST",   "/admin/response-targets/general",                "L   403 403 403 403 403 403 403 303",
      {"first_answer_hours": "12", "solution_hours": "", "route_count": "2"}),
    r("GET",    "/api/v1/waiting",                                "401 403 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/waiting?routed=me",                      "401 403 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/response-targets",                       "401 403 403 403 403 403 403 403 200"),
    r("PUT",    "/api/v1/response-targets/general",               "401 403 403 403 403 403 403 403 200",
      {"first_answer_hours": 24, "solution_hours": None, "route_count": 3}),
    r("PUT",    "/api/v1/response-targets/no-such-category",      "401 403 403 403 403 403 403 403 404",
      {"first_answer_hours": 24, "route_count": 3}),
    r("GET",    "/api/v1/experts",                                "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/experts?topic=general",                  "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/experts/{expert}",                       "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/experts/{pat}",                          "401 404 404 404 404 404 404 404 404"),
    r("GET",    "/api/v1/threads/{pub_q}/routing",                "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/threads/{gold_q}/routing",               "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{staff_d}/routing",              "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{missing}/routing",              "401 404 404 404 404 404 404 404 404"),
    r("PUT",    "/api/v1/experts/{expert}/expertise",             "401 403 403 403 403 403 200 403 200",
      {"tags": ["rebates"], "categories": ["general"], "away_until": None, "stand_in": None}),
    r("PUT",    "/api/v1/experts/{pat}/expertise",                "401 404 404 404 404 404 404 404 404",
      {"tags": ["rebates"]}),
    r("POST",   "/api/v1/threads/{gold_q}/pass",                  "401 403 403 403 403 403 200 200 422",
      {"to": "{admin}", "note": "Ada signs the **gold** rates."}),
    r("POST",   "/api/v1/threads/{staff_d}/pass",                 "401 403 403 403 403 403 409 409 409",
      {"to": "{moderator}"}),

    # --- administration ----------------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/admin",                                         "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/categories",                              "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/categories/{gold_cat}",                   "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/categories/no-such-category",             "L   403 403 403 403 403 403 403 404"),
    r("GET",    "/admin/organisations",                           "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/invitations",                             "L   403 403 403 403 403 403 403 200"),
    r("POST",   "/admin/categories",                              "L   403 403 403 403 403 403 403 303",
      {"name": "Matrix category", "slug": "", "description": "", "visibility": "all"}),
    r("POST",   "/admin/categories/general",                      "L   403 403 403 403 403 403 403 303",
      {"name": "General questions", "description": "", "visibility": "all", "position": "0"}),
    r("POST",   "/admin/organisations",                           "L   403 403 403 403 403 403 403 303",
      {"name": "Matrix Reseller", "tier": "silver", "description": ""}),
    r("POST",   "/admin/invitations",                             "L   403 403 403 403 403 403 403 200",
      {"email": "admin-invitee@silver.example", "organisation": "silver-systems-ltd", "role": "partner"}),
    r("POST",   "/admin/invitations/{silver_invite}/resend",      "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/invitations/{silver_invite}/revoke",      "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/invitations/{missing}/revoke",            "L   403 403 403 403 403 403 403 404"),
    r("POST",   "/admin/invitations/{silver_invite}/revoke",      "L   403 403 403 403 403 403 403 303"),
    r("POST",   "/admin/invitations/{missing}/revoke",            "L   403 403 403 403 403 403 403 404"),
    r("GET",    "/admin/outbox",                                  "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/outbox?state=uncertain",                  "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/outbox/files/{mail_file}",                "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/outbox/files/no-such-file.eml",           "L   403 403 403 403 403 403 403 404"),
    r("GET",    "/admin/outbox/files/{mail_file}/html",           "L   403 403 403 403 403 403 403 200"),
    r("GET",    "/admin/outbox/files/no-such-file.eml/html",      "L   403 403 403 403 403 403 403 404"),
    r("POST",   "/admin/outbox/{uncertain_mail}/resolve",         "L   403 403 403 403 403 403 403 303",
      {"decision": "sent"}),
    r("POST",   "/admin/outbox/{missing}/resolve",                "L   403 403 403 403 403 403 403 404",
      {"decision": "sent"}),

    # --- JSON API ----------------------------------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/api/v1/me",                                     "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/users/{pat}",                            "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/users/nobody-here",                      "401 404 404 404 404 404 404 404 404"),
    r("GET",    "/api/v1/organisations/{gold_org}",               "401 200 200 403 403 403 200 200 200"),
    r("GET",    "/api/v1/organisations/{company_org}",            "401 403 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/organisations/no-such-org",              "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/organisations/{gold_org}/invitations",   "401 201 403 403 403 403 403 403 201",
      {"email": "api-invitee@gold.example"}),
    r("POST",   "/api/v1/organisations/no-such-org/invitations",  "401 404 404 404 404 404 404 404 404",
      {"email": "api-invitee@gold.example"}),
    r("GET",    "/api/v1/categories",                             "401 200 200 200 200 200 200 200 200"),
    r("POST",   "/api/v1/categories",                             "401 403 403 403 403 403 403 403 201",
      {"name": "Matrix API category"}),
    r("GET",    "/api/v1/search?q=rebate+schedule+escalation",    "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/search?q=is:nothing",                    "401 422 422 422 422 422 422 422 422"),
    r("GET",    "/api/v1/search/similar?title=rebate+schedule",   "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/threads",                                "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/threads?category={gold_cat}",            "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/threads?category={staff_cat}",           "401 404 404 404 404 404 200 200 200"),
    r("POST",   "/api/v1/threads",                                "401 201 201 201 201 201 201 201 201",
      ask("general", "An API question from the matrix")),
    r("POST",   "/api/v1/threads",                                "401 201 201 201 422 422 201 201 201",
      ask("gold-programme", "A gold API question from the matrix")),
    r("POST",   "/api/v1/threads",                                "401 422 422 422 422 422 201 201 201",
      ask("staff-room", "A staff API question from the matrix")),
    r("GET",    "/api/v1/threads/{pub_q}",                        "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/threads/{gold_q}",                       "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{priv_q}",                       "401 200 200 404 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{staff_d}",                      "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{missing}",                      "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/threads/{pub_q}/posts",                  "401 201 201 201 201 201 201 201 201",
      REPLY),
    r("POST",   "/api/v1/threads/{pub_closed}/posts",             "401 403 403 403 403 403 403 201 201",
      REPLY),
    r("POST",   "/api/v1/threads/{gold_q}/posts",                 "401 201 201 201 404 404 201 201 201",
      REPLY),
    r("POST",   "/api/v1/threads/{staff_d}/posts",                "401 404 404 404 404 404 201 201 201",
      REPLY),
    r("POST",   "/api/v1/threads/{missing}/posts",                "401 404 404 404 404 404 404 404 404",
      REPLY),
    r("GET",    "/api/v1/posts/{pub_ans}",                        "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/posts/{gold_ans}",                       "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/posts/{priv_ans}",                       "401 200 200 404 404 404 200 200 200"),
    r("GET",    "/api/v1/posts/{staff_rep}",                      "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/posts/{missing}",                        "401 404 404 404 404 404 404 404 404"),
    r("PATCH",  "/api/v1/posts/{pub_open}",                       "401 200 403 403 403 403 200 200 200",
      EDIT_OPENING | {"tags": ["rebates"]}),
    r("PATCH",  "/api/v1/posts/{pub_ans}",                        "401 403 403 403 403 403 200 200 200",
      EDIT),
    r("PATCH",  "/api/v1/posts/{gold_ans}",                       "401 403 403 403 404 404 200 200 200",
      EDIT),
    r("PATCH",  "/api/v1/posts/{staff_rep}",                      "401 404 404 404 404 404 200 200 200",
      EDIT),
    r("PATCH",  "/api/v1/posts/{missing}",                        "401 404 404 404 404 404 404 404 404",
      EDIT),
    r("DELETE", "/api/v1/posts/{pub_del2}",                       "401 204 403 403 403 403 403 204 204"),
    r("DELETE", "/api/v1/posts/{gold_del2}",                      "401 204 403 403 404 404 403 204 204"),
    r("DELETE", "/api/v1/posts/{staff_del2}",                     "401 404 404 404 404 404 204 204 204"),
    r("DELETE", "/api/v1/posts/{missing}",                        "401 404 404 404 404 404 404 404 404"),
    r("GET",    "/api/v1/posts/{pub_ans}/revisions",              "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/posts/{gold_ans}/revisions",             "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/posts/{staff_rep}/revisions",            "401 404 404 404 404 404 200 200 200"),
    r("GET",    "/api/v1/posts/{missing}/revisions",              "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/posts/{pub_ans}/votes",                  "401 200 200 200 200 200 403 200 200"),
    r("DELETE", "/api/v1/posts/{pub_ans}/votes",                  "401 200 200 200 200 200 403 200 200"),
    r("POST",   "/api/v1/posts/{gold_ans}/votes",                 "401 200 200 200 404 404 403 200 200"),
    r("DELETE", "/api/v1/posts/{gold_ans}/votes",                 "401 200 200 200 404 404 403 200 200"),
    r("POST",   "/api/v1/posts/{staff_rep}/votes",                "401 404 404 404 404 404 200 403 200"),
    r("DELETE", "/api/v1/posts/{staff_rep}/votes",                "401 404 404 404 404 404 200 403 200"),
    r("POST",   "/api/v1/posts/{missing}/votes",                  "401 404 404 404 404 404 404 404 404"),
    r("DELETE", "/api/v1/posts/{missing}/votes",                  "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/posts/{pub_ans}/accept",                 "401 200 403 403 403 403 403 200 200"),
    r("DELETE", "/api/v1/posts/{pub_ans}/accept",                 "401 200 403 403 403 403 200 200 200"),
    r("POST",   "/api/v1/posts/{gold_ans}/accept",                "401 200 403 403 404 404 403 200 200"),
    r("DELETE", "/api/v1/posts/{gold_ans}/accept",                "401 200 403 403 404 404 200 200 200"),
    r("POST",   "/api/v1/posts/{staff_rep}/accept",               "401 404 404 404 404 404 422 422 422"),
    r("DELETE", "/api/v1/posts/{missing}/accept",                 "401 404 404 404 404 404 404 404 404"),

    # --- notifications, watches, announcements ({note} and {watch} are the partner's own) ----------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/notifications",                                 "L   200 200 200 200 200 200 200 200"),
    r("GET",    "/notifications?show=unread",                     "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/notifications/{note}/open",                     "L   303 404 404 404 404 404 404 404"),
    r("POST",   "/notifications/{missing}/open",                  "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/notifications/read-all",                        "L   303 303 303 303 303 303 303 303"),
    r("GET",    "/settings/notifications",                        "L   200 200 200 200 200 200 200 200"),
    r("POST",   "/settings/notifications",                        "L   303 303 303 303 303 303 303 303",
      {"on": "answer", "watch_started": "1"}),
    r("POST",   "/watch",                                         "L   303 303 303 404 404 303 303 303",
      {"target_type": "category", "target": "gold-programme", "level": "watching"}),
    r("POST",   "/watch",                                         "L   404 404 404 404 404 303 303 303",
      {"target_type": "category", "target": "staff-room", "level": "muted"}),
    r("GET",    "/posts/{pub_ans}",                               "L   303 303 303 303 303 303 303 303"),
    r("GET",    "/posts/{gold_ans}",                              "L   303 303 303 404 404 303 303 303"),
    r("GET",    "/posts/{staff_rep}",                             "L   404 404 404 404 404 303 303 303"),
    r("GET",    "/posts/{missing}",                               "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/announcements/{gold_news}",                     "L   200 200 200 404 404 200 200 200"),
    r("GET",    "/announcements/{missing}",                       "L   404 404 404 404 404 404 404 404"),
    r("GET",    "/admin/announcements",                           "L   403 403 403 403 403 403 403 200"),
    r("POST",   "/admin/announcements",                           "L   403 403 403 403 403 403 403 303",
      {"title": "Matrix announcement for all", "body": "Hello everyone.", "audience": "all"}),
    r("GET",    "/api/v1/notifications",                          "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/notifications/unread-count",             "401 200 200 200 200 200 200 200 200"),
    r("POST",   "/api/v1/notifications/{note}/read",              "401 200 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/notifications/{missing}/read",           "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/notifications/read-all",                 "401 200 200 200 200 200 200 200 200"),
    r("GET",    "/api/v1/notifications/preferences",              "401 200 200 200 200 200 200 200 200"),
    r("PUT",    "/api/v1/notifications/preferences",              "401 200 200 200 200 200 200 200 200",
      {"watch_started": True}),
    r("GET",    "/api/v1/watches",                                "401 200 200 200 200 200 200 200 200"),
    r("POST",   "/api/v1/watches",                                "401 200 200 200 404 404 200 200 200",
      {"target_type": "category", "target": "gold-programme", "level": "watching"}),
    r("DELETE", "/api/v1/watches/{watch}",                        "401 204 404 404 404 404 404 404 404"),
    r("DELETE", "/api/v1/watches/{missing}",                      "401 404 404 404 404 404 404 404 404"),
    r("GET",    "/api/v1/announcements/{gold_news}",              "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/announcements/{missing}",                "401 404 404 404 404 404 404 404 404"),
    r("POST",   "/api/v1/announcements",                          "401 403 403 403 403 403 403 403 201",
      {"title": "Matrix API announcement", "body": "Hello silver partners.", "audience": "silver"}),

    # --- flags and the review queue (moderators only); flags last: a moderator's flag hides the post -
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/moderation/queue",                              "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/queue?kind=flagged_post&reason=spam", "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/items/{review_item}",                "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/items/{missing}",                    "L   403 403 403 403 403 403 404 404"),
    r("POST",   "/moderation/items/{review_item}/claim",          "L   403 403 403 403 403 403 303 303"),
    r("GET",    "/api/v1/moderation/queue",                       "401 403 403 403 403 403 403 200 200"),
    r("GET",    "/api/v1/moderation/items/{review_item}",         "401 403 403 403 403 403 403 200 200"),
    r("GET",    "/api/v1/moderation/items/{missing}",             "401 403 403 403 403 403 403 404 404"),
    r("POST",   "/api/v1/moderation/items/{review_item}/claim",   "401 403 403 403 403 403 403 200 200"),
    r("DELETE", "/api/v1/moderation/items/{review_item}/claim",   "401 403 403 403 403 403 403 200 200"),
    r("POST",   "/api/v1/moderation/items/{review_item}/decision", "401 403 403 403 403 403 403 200 200",
      {"decision": "keep"}),
    r("POST",   "/moderation/items/{review_item}/decide",         "L   403 403 403 403 403 403 409 409",
      {"decision": "keep"}),
    r("GET",    "/admin/watched-words",                           "L   403 403 403 403 403 403 403 200"),
    r("POST",   "/admin/watched-words",                           "L   403 403 403 403 403 403 403 303",
      {"pattern": "matrixword", "action": "flag", "categories": ""}),
    r("POST",   "/admin/watched-words/test",                      "L   403 403 403 403 403 403 403 200",
      {"text": "Hello there", "category": "general"}),
    r("POST",   "/admin/watched-words/{word}/delete",             "L   403 403 403 403 403 403 403 303"),
    r("POST",   "/admin/watched-words/{missing}/delete",          "L   403 403 403 403 403 403 403 404"),
    r("POST",   "/admin/watched-words/categories",                "L   403 403 403 403 403 403 403 303",
      {"category": "staff-room", "confidentiality": "on"}),
    r("GET",    "/api/v1/moderation/watched-words",               "401 403 403 403 403 403 403 403 200"),
    r("POST",   "/api/v1/moderation/watched-words",               "401 403 403 403 403 403 403 403 201",
      {"pattern": "matrixapiword", "action": "flag"}),
    r("POST",   "/api/v1/moderation/rules/test",                  "401 403 403 403 403 403 403 403 200",
      {"text": "Hello there", "category": "general"}),
    r("GET",    "/api/v1/moderation/rules/categories",            "401 403 403 403 403 403 403 403 200"),
    r("POST",   "/api/v1/moderation/rules/categories",            "401 403 403 403 403 403 403 403 200",
      {"category": "staff-room", "confidentiality": "on"}),
    r("DELETE", "/api/v1/moderation/watched-words/{api_word}",    "401 403 403 403 403 403 403 403 204"),
    r("DELETE", "/api/v1/moderation/watched-words/{missing}",     "401 403 403 403 403 403 403 403 404"),
    r("GET",    "/moderation/audit",                              "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/audit?moderator=rules&since=2020-01-01", "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/audit.csv",                          "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/api/v1/moderation/audit",                       "401 403 403 403 403 403 403 200 200"),
    r("POST",   "/moderation/audit/{hidden_entry}/restore",       "L   403 403 403 403 403 403 303 303"),
    r("POST",   "/moderation/audit/{missing}/restore",            "L   403 403 403 403 403 403 404 404"),
    r("POST",   "/api/v1/moderation/audit/{api_hidden_entry}/restore", "401 403 403 403 403 403 403 200 200",
      {}),
    r("POST",   "/api/v1/moderation/audit/{missing}/restore",     "401 403 403 403 403 403 403 404 404",
      {}),
    # sanctions: a warning only (a silence or suspension of a viewer would change what later rows may
    # do); the sanctions lifted are those of a member who is not a viewer
    r("GET",    "/moderation/users/{pat}",                        "L   403 403 403 403 403 403 200 200"),
    r("GET",    "/moderation/users/no-such-member",               "L   403 403 403 403 403 403 404 404"),
    r("POST",   "/moderation/users/{pat}/sanctions",              "L   403 403 403 403 403 403 303 303",
      {"kind": "warn", "reason": "Matrix warning"}),
    r("GET",    "/moderation/sanctions",                          "L   403 403 403 403 403 403 200 200"),
    r("POST",   "/moderation/sanctions/{silence}/lift",           "L   403 403 403 403 403 403 303 303"),
    r("POST",   "/moderation/sanctions/{missing}/lift",           "L   403 403 403 403 403 403 404 404"),
    r("GET",    "/api/v1/moderation/sanctions",                   "401 403 403 403 403 403 403 200 200"),
    r("GET",    "/api/v1/moderation/sanctions?user={pat}",        "401 403 403 403 403 403 403 200 200"),
    r("POST",   "/api/v1/moderation/sanctions",                   "401 403 403 403 403 403 403 201 201",
      {"user": "pat-partner", "kind": "warn", "reason": "Matrix warning"}),
    r("POST",   "/api/v1/moderation/sanctions/{suspension}/lift", "401 403 403 403 403 403 403 200 200",
      {}),
    r("POST",   "/api/v1/moderation/sanctions/{missing}/lift",    "401 403 403 403 403 403 403 404 404",
      {}),
    r("GET",    "/posts/{pub_ans}/flag",                          "L   200 200 200 200 200 403 200 200"),
    r("GET",    "/posts/{staff_rep}/flag",                        "L   404 404 404 404 404 200 403 200"),
    r("GET",    "/posts/{missing}/flag",                          "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/posts/{pub_ans}/flag",                          "L   303 303 303 303 303 403 303 303",
      {"reason": "spam"}),
    r("POST",   "/api/v1/posts/{pub_ans}/flags",                  "401 201 201 201 201 201 403 201 201",
      {"reason": "off_topic"}),
    r("POST",   "/api/v1/posts/{gold_ans}/flags",                 "401 201 201 201 404 404 403 201 201",
      {"reason": "confidential"}),
    r("POST",   "/api/v1/posts/{missing}/flags",                  "401 404 404 404 404 404 404 404 404",
      {"reason": "spam"}),

    # --- thread actions: moderators only (an author may close their own thread) ---------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("POST",   "/t/{act_q}/status",                              "L   303 403 403 403 403 403 303 303",
      {"status": "closed", "reason": "Answered elsewhere"}),
    r("POST",   "/t/{act_q}/status",                              "L   403 403 403 403 403 403 303 303",
      {"status": "open"}),
    r("POST",   "/t/{act_q}/lock",                                "L   403 403 403 403 403 403 303 303",
      {"locked": "1", "reason": "Heated"}),
    r("POST",   "/t/{act_q}/lock",                                "L   403 403 403 403 403 403 303 303",
      {"locked": "0"}),
    r("POST",   "/t/{act_q}/pin",                                 "L   403 403 403 403 403 403 303 303",
      {"pinned": "1"}),
    r("POST",   "/t/{act_q}/duplicate",                           "L   403 403 403 403 403 403 303 303",
      {"of": "{pub_q}"}),
    r("POST",   "/t/{act_q}/move",                                "L   403 403 403 403 403 403 303 303",
      {"category": "staff-room", "reason": "Internal"}),
    r("POST",   "/t/{act_src}/merge",                             "L   403 403 403 403 403 403 303 303",
      {"into": "{act_q}", "reason": "Same question", "confirm": "1"}),
    r("GET",    "/t/{act_src}",                                   "L   200 200 200 200 200 200 301 301"),
    r("POST",   "/t/{gold_q}/lock",                               "L   403 403 403 403 403 403 303 303",
      {"locked": "1", "reason": "Heated"}),
    r("POST",   "/t/{missing}/lock",                              "L   403 403 403 403 403 403 404 404",
      {"locked": "1", "reason": "Heated"}),
    r("POST",   "/api/v1/threads/{gold_q}/status",                "401 200 403 403 404 404 403 200 200",
      {"status": "closed"}),
    r("POST",   "/api/v1/threads/{act_q}/lock",                   "401 403 403 403 403 403 403 200 200",
      {"locked": True, "reason": "Heated"}),
    r("POST",   "/api/v1/threads/{act_q}/pin",                    "401 403 403 403 403 403 403 200 200",
      {"pinned": False}),
    r("POST",   "/api/v1/threads/{act_q}/duplicate",              "401 403 403 403 403 403 403 200 200",
      {"of": None}),
    r("POST",   "/api/v1/threads/{act_q}/move",                   "401 403 403 403 403 403 403 200 200",
      {"category": "gold-programme"}),
    r("POST",   "/api/v1/threads/{act_src2}/merge",               "401 403 403 403 403 403 403 200 200",
      {"into": "{act_q}", "reason": "Same question"}),
    r("GET",    "/api/v1/threads/{act_src2}",                     "401 200 200 200 200 200 200 308 308"),
    r("POST",   "/api/v1/threads/{missing}/lock",                 "401 403 403 403 403 403 403 404 404",
      {"locked": True, "reason": "Heated"}),
    r("GET",    "/moderation/overview",                           "L   403 403 403 403 403 403 200 200"),
    # --- the channel-health dashboard: staff, and a partner organisation's admin (their own row) -----
    #                                                              ano ptn col oth sil reg exp mod adm
    r("GET",    "/health",                                        "L   200 403 403 403 403 200 200 200"),
    r("GET",    "/health?organisation={silver_org}",              "L   422 403 403 403 403 200 200 200"),
    r("GET",    "/health/export.csv?table=organisations",         "L   200 403 403 403 403 200 200 200"),
    r("GET",    "/health/threads?figure=asked",                   "L   200 403 403 403 403 200 200 200"),
    r("GET",    "/health/threads?figure=answers_by&member={expert}", "L   200 403 403 403 403 200 200 200"),
    r("GET",    "/health/threads?figure=routed&member={expert}",  "L   422 403 403 403 403 200 200 200"),
    r("GET",    "/health/threads?figure=flagged",                 "L   422 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/health-dashboard",                       "401 200 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/health-dashboard?organisation={silver_org}", "401 422 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/health-dashboard/threads?figure=asked",  "401 200 403 403 403 403 200 200 200"),
    r("GET",    "/api/v1/health-dashboard/threads?figure=routed&member={expert}",
      "401 422 403 403 403 403 200 200 200"),
    # --- support ratings: the asker (solved question) and the experts who answered -------------------
    # (the administrator answered the gold question in an earlier row)
    r("POST",   "/t/{gold_q}/rating",                             "L   303 403 403 404 404 303 303 303",
      {"score": "2", "comment": "From the matrix."}),
    r("PUT",    "/api/v1/threads/{gold_q}/rating",                "401 200 403 403 404 404 200 200 200",
      {"score": 3}),
    r("GET",    "/api/v1/threads/{gold_q}/ratings",               "401 200 200 200 404 404 200 200 200"),
    r("GET",    "/api/v1/threads/{priv_q}/ratings",               "401 200 200 404 404 404 200 200 200"),
    r("GET",    "/api/v1/moderation/overview",                    "401 403 403 403 403 403 403 200 200"),
    # Flagging a whole thread (its author may not); a moderator's flag hides it: these come last.
    r("GET",    "/t/{pub_closed}/flag",                           "L   200 403 200 200 200 200 200 200"),
    r("GET",    "/t/{missing}/flag",                              "L   404 404 404 404 404 404 404 404"),
    r("POST",   "/t/{pub_closed}/flag",                           "L   303 403 303 303 303 303 303 303",
      {"reason": "off_topic"}),
    r("POST",   "/api/v1/threads/{gold_q}/flags",                 "401 403 201 201 404 404 201 201 201",
      {"reason": "confidential"}),
    r("POST",   "/api/v1/threads/{missing}/flags",                "401 404 404 404 404 404 404 404 404",
      {"reason": "spam"}),

    # --- last: these end or renew the session ------------------------------------------------------
    #                                                              ano ptn col oth sil reg exp mod adm
    r("POST",   "/account/password",                              "L   303 303 303 303 303 303 303 303",
      {"current_password": PASSWORD, "new_password": PASSWORD}),
    r("POST",   "/logout",                                        "303 303 303 303 303 303 303 303 303"),
]
# fmt: on


# --- the world the matrix runs against -----------------------------------------------------------


@dataclass
class Content:
    """Things the rows name, by placeholder, and what each viewer must never see a trace of."""

    values: dict[str, Any]
    thread_ids: dict[str, int]
    post_ids: dict[str, int]
    users: dict[str, Any]
    # Moderation placeholders and what they act upon: (table in ``snapshot``, id), an audit entry
    # naming the hidden post it restores.
    moderated: dict[str, tuple[str, int]] = field(default_factory=dict)
    secrets_gold: list[str] = field(default_factory=list)
    secrets_staff: list[str] = field(default_factory=list)
    secrets_private: list[str] = field(default_factory=list)


PRIVATE_TITLE = "Zeppelin pricing for our hospital customer"
PRIVATE_ANSWER = "Zeppelin discount is twelve percent"
GOLD_TITLE = "Gold rebate schedule for the third quarter"
GOLD_ANSWER = "Six percent on the gold tier for hardware"
STAFF_TITLE = "Internal escalation notes for partners"
STAFF_REPLY = "Escalate through the partner desk first"


@pytest.fixture
async def content(world: World, app, tmp_path) -> Content:  # type: ignore[no-untyped-def]
    s = world.settings
    other_gold = await directory.create_organisation(s, None, name="Other Gold AG", tier="gold")
    olga = await people.create_user(
        s, email="olga@othergold.example", display_name="Olga Other", role="partner",
        organisation=other_gold, password=PASSWORD,
    )  # fmt: skip
    pat, expert, moderator = (
        world.actor(world.partner),
        world.actor(world.expert),
        world.actor(world.moderator),
    )

    pub_q = await threads.create_thread(
        pat, category="general", kind="question", title="How do I register a deal for a tender?",
        body="Which form do we use?", tags="rebates",
    )  # fmt: skip
    pub_ans = await posts.reply(expert, pub_q.id, body="Use the deal registration form.")
    pub_del = await posts.reply(pat, pub_q.id, body="A note to delete (HTML).")
    pub_del2 = await posts.reply(pat, pub_q.id, body="A note to delete (API).")
    pub_closed = await threads.create_thread(
        world.actor(world.colleague), category="general", kind="question",
        title="Is the old price list still valid?", body="Asking for a customer.",
    )  # fmt: skip
    await thread_actions.set_status(moderator, pub_closed.id, status="closed")

    gold_q = await threads.create_thread(
        pat, category="gold-programme", kind="question", title=GOLD_TITLE, body="What are the rates?",
        tags="rebates",
    )  # fmt: skip
    gold_ans = await posts.reply(expert, gold_q.id, body=GOLD_ANSWER)
    gold_del = await posts.reply(pat, gold_q.id, body="A gold note to delete (HTML).")
    gold_del2 = await posts.reply(pat, gold_q.id, body="A gold note to delete (API).")
    await posts.accept_answer(pat, gold_ans.id)

    priv_q = await threads.create_thread(
        pat, category="general", kind="question", title=PRIVATE_TITLE, body="Only for us.", private=True,
    )  # fmt: skip
    priv_ans = await posts.reply(expert, priv_q.id, body=PRIVATE_ANSWER)
    staff_d = await threads.create_thread(
        expert, category="staff-room", kind="discussion", title=STAFF_TITLE, body="Collect them here.",
    )  # fmt: skip
    act_q = await threads.create_thread(
        pat, category="general", kind="question", title="Which demo unit should we order?", body="A fair.",
    )  # fmt: skip
    act_src = await threads.create_thread(
        world.actor(world.colleague), category="general", kind="question",
        title="Demo unit for a trade fair?", body="A fair.",
    )  # fmt: skip
    act_src2 = await threads.create_thread(
        world.actor(world.colleague), category="general", kind="question",
        title="Which demo unit for the fair?", body="A fair.",
    )  # fmt: skip
    staff_rep = await posts.reply(moderator, staff_d.id, body=STAFF_REPLY)
    staff_del = await posts.reply(expert, staff_d.id, body="A staff note to delete (HTML).")
    staff_del2 = await posts.reply(expert, staff_d.id, body="A staff note to delete (API).")
    pub_flagged = await posts.reply(world.actor(world.colleague), pub_q.id, body="Cheap licences in my shop.")
    await flags.flag_post(app.state.moderation, pat, pub_flagged.id, reason="spam")
    review_item = (await ReviewItem.get(post_id=pub_flagged.id)).id

    pub_ans2 = await posts.reply(moderator, pub_q.id, body="Or ask your distributor for the form.")
    gold_ans2 = await posts.reply(moderator, gold_q.id, body="Ask the gold desk for the current rates.")
    pub_arch = await posts.reply(moderator, pub_q.id, body="The old form is retired.")
    pub_ans3 = await posts.reply(moderator, pub_q.id, body="Keep the registration number handy.")
    pub_art = await articles.promote_answer(expert, pub_ans.id)
    gold_art = await articles.promote_answer(expert, gold_ans.id)
    staff_art = await articles.promote_answer(expert, staff_rep.id)
    arch_art = await articles.promote_answer(expert, pub_arch.id, title="Retired registration form notes")
    await articles.set_state(expert, arch_art.id, "archived")
    product = await products.create_product(expert, name="Router X200")
    product_version = await products.add_version(expert, product.id, name="firmware 4.x")

    async def opening(thread_id: int) -> int:
        return (await Post.get(thread_id=thread_id, is_opening=True)).id

    gold_news = await announcements.send_announcement(
        world.actor(world.admin), s.partner_tiers, title="Gold partner summit in May", body="See you there.",
        audience="gold",
    )  # fmt: skip
    note = (await Notification.filter(user_id=world.partner.id).first()).id  # type: ignore[union-attr]
    await tokens.create_own_api_token(world.actor(world.partner), "Partner's script")
    partner_token = (await ApiToken.get(user_id=world.partner.id)).id
    watch = (await Watch.get(user_id=world.partner.id, target_type="thread", target_key=str(pub_q.id))).id
    moderation_values, moderated = await moderation_subjects(world, app, pub_q.id)

    _, invite_token = await invitations.create_invitation(
        s, None, email="newcomer@gold.example", organisation=world.gold, role="partner"
    )
    reset_token = await passwords.create_password_reset(s, world.colleague.email)
    gold_invite, _ = await invitations.create_invitation(
        s, world.actor(world.partner), email="mate@gold.example", organisation=world.gold, role="partner"
    )
    silver_invite, _ = await invitations.create_invitation(
        s, None, email="someone@silver.example", organisation=world.silver, role="partner"
    )
    await app.state.mail.run_once()  # no SMTP server configured: the mails become files
    mail_file = list_files(outbox_dir(s))[0].name
    uncertain = await mail_queue.enqueue(s, kind="test", to="x@example.com", subject="Uncertain", text="t")
    await OutgoingMail.filter(id=uncertain.id).update(state=MailState.UNCERTAIN)
    thread_ids = {
        "pub_q": pub_q.id, "pub_closed": pub_closed.id, "gold_q": gold_q.id, "staff_d": staff_d.id,
        "act_q": act_q.id, "act_src": act_src.id, "act_src2": act_src2.id, "priv_q": priv_q.id,
    }  # fmt: skip
    post_ids = {
        "pub_open": await opening(pub_q.id), "pub_ans": pub_ans.id, "pub_del": pub_del.id,
        "pub_del2": pub_del2.id, "gold_open": await opening(gold_q.id), "gold_ans": gold_ans.id,
        "gold_del": gold_del.id, "gold_del2": gold_del2.id, "staff_rep": staff_rep.id,
        "staff_del": staff_del.id, "staff_del2": staff_del2.id, "pub_flagged": pub_flagged.id,
        "priv_ans": priv_ans.id,
    }  # fmt: skip
    values: dict[str, Any] = {
        **thread_ids,
        **post_ids,
        "missing": MISSING_ID,
        "gold_cat": "gold-programme",
        "staff_cat": "staff-room",
        "pat": world.partner.handle,
        "expert": world.expert.handle,
        "moderator": world.moderator.handle,
        "admin": world.admin.handle,
        "gold_org": world.gold.slug,
        "silver_org": world.silver.slug,
        "company_org": world.company.slug,
        "invite_token": invite_token,
        "reset_token": reset_token,
        "review_item": review_item,
        "pub_art": pub_art.id,
        "gold_art": gold_art.id,
        "staff_art": staff_art.id,
        "arch_art": arch_art.id,
        "pub_ans2": pub_ans2.id,
        "pub_ans3": pub_ans3.id,
        "gold_ans2": gold_ans2.id,
        "product": product.id,
        "product_version": product_version.id,
        "note": note,
        "watch": watch,
        "partner_token": partner_token,
        "gold_news": gold_news.id,
        "gold_invite": gold_invite.id,
        "silver_invite": silver_invite.id,
        "mail_file": mail_file,
        "uncertain_mail": uncertain.id,
        "unsub_token": unsubscribe_token(s, world.colleague.id, "mention"),
        "image_key": images.store_post_image(images.images_dir(s.data_dir), PNG, s.image_max_bytes).key,
        "missing_image": "0" * 40 + ".png",
        **moderation_values,
    }
    users = {
        "partner": world.partner, "colleague": world.colleague, "other_org": olga,
        "silver": world.silver_partner, "registered": world.registered_partner, "expert": world.expert,
        "moderator": world.moderator, "admin": world.admin,
    }  # fmt: skip
    # Search sees everything above (rows searching must find no trace of what a viewer may not see).
    await Indexer(app.state.search).drain()
    gold_links = [f"/t/{gold_q.id}", f"/posts/{gold_ans.id}/", f"/api/v1/threads/{gold_q.id}",
                  f"/kb/{gold_art.id}", f"/api/v1/kb/articles/{gold_art.id}"]  # fmt: skip
    staff_links = [f"/t/{staff_d.id}", f"/posts/{staff_rep.id}/", f"/api/v1/threads/{staff_d.id}",
                   f"/kb/{staff_art.id}", f"/api/v1/kb/articles/{staff_art.id}"]  # fmt: skip
    return Content(
        values=values,
        thread_ids=thread_ids,
        post_ids=post_ids,
        users=users,
        moderated=moderated,
        secrets_gold=[GOLD_TITLE, GOLD_ANSWER, "Gold programme", "gold-programme", *gold_links],
        secrets_staff=[STAFF_TITLE, STAFF_REPLY, "Staff room", "staff-room", *staff_links],
        secrets_private=[PRIVATE_TITLE, PRIVATE_ANSWER, f"/t/{priv_q.id}", f"/api/v1/threads/{priv_q.id}",
                         f"/posts/{priv_ans.id}/"],
    )  # fmt: skip


async def moderation_subjects(
    world: World,
    app,
    thread_id: int,  # type: ignore[no-untyped-def]
) -> tuple[dict[str, int], dict[str, tuple[str, int]]]:
    """Watched words, hidden posts (by their audit entries) and sanctions in force, one of each for
    the page and one for the API: the placeholders' ids, and what each acts upon."""
    admin, moderator = world.actor(world.admin), world.actor(world.moderator)
    gate = app.state.moderation
    word = await watched_words.add_watched_word(gate, admin, pattern="greymarketkeys", action="flag")
    api_word = await watched_words.add_watched_word(gate, admin, pattern="cheapkeysdeal", action="flag")
    # A moderator's flag hides the post at once (audited as post.auto_hide). The colleague writes
    # them: their posts are in none of the counts the matrix checks.
    hidden, api_hidden = [
        await posts.reply(world.actor(world.colleague), thread_id, body=f"Licence keys, cheap ({n}).")
        for n in ("page", "API")
    ]
    entries = []
    for post in (hidden, api_hidden):
        await flags.flag_post(gate, moderator, post.id, reason="spam")
        entries.append((await AuditEntry.get(subject_type="post", subject_id=post.id)).id)
    # A member who is not a viewer: silencing a viewer would change what later rows may do.
    sam = await people.create_user(
        world.settings, email="sid@silver.example", display_name="Sid Sanctioned", role="partner",
        organisation=world.silver, password=PASSWORD,
    )  # fmt: skip
    silence = await sanctions.impose_sanction(moderator, user=sam.handle, kind="silence", reason="Spam")
    suspension = await sanctions.impose_sanction(moderator, user=sam.handle, kind="suspend", reason="Spam")
    values = {
        "word": word.id, "api_word": api_word.id, "hidden_entry": entries[0], "api_hidden_entry": entries[1],
        "silence": silence.id, "suspension": suspension.id,
    }  # fmt: skip
    moderated = {
        "word": ("words", word.id), "api_word": ("words", api_word.id),
        "hidden_entry": ("posts", hidden.id), "api_hidden_entry": ("posts", api_hidden.id),
        "silence": ("sanctions", silence.id), "suspension": ("sanctions", suspension.id),
    }  # fmt: skip
    return values, moderated


def missing_twin(values: dict[str, Any]) -> dict[str, Any]:
    """The same placeholders naming things that never existed."""
    return {
        k: MISSING_ID if isinstance(v, int) else f"no-such-{k.replace('_', '-')}" for k, v in values.items()
    }


# --- running the matrix --------------------------------------------------------------------------


@pytest.fixture
async def checked_client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Every API answer is also checked against the OpenAPI document."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [check_against_document]},
    ) as c:
        yield c


async def snapshot() -> dict[str, Any]:
    threads_now = {
        row["id"]: row
        for row in await Thread.all().values(
            "id", "title", "reply_count", "accepted_post_id", "is_deleted", "status", "tag_names"
        )
    }
    posts_now = {
        row["id"]: row
        for row in await Post.all().values("id", "state", "score", "body_source", "revision_count")
    }
    words_now = {
        row["id"]: row for row in await WatchedWord.all().values("id", "pattern", "action", "enabled")
    }
    sanctions_now = {
        row["id"]: row
        for row in await Sanction.all().values(
            "id", "kind", "ends_at", "lifted_at", "user__silenced_until", "user__suspended_until"
        )
    }
    return {"threads": threads_now, "posts": posts_now, "words": words_now, "sanctions": sanctions_now}


def subject(content: Content, key: str) -> tuple[str, int] | None:
    """What a placeholder names in ``snapshot``: (table, id), or None for things it does not keep."""
    if key in content.thread_ids:
        return "threads", content.values[key]
    if key in content.post_ids:
        return "posts", content.values[key]
    return content.moderated.get(key)


_NOTICE = re.compile(r'<p class="notice" role="status">.*?</p>')


def comparable(response: httpx.Response) -> str:
    """A response body without one-time notices (a flash from an earlier request)."""
    return _NOTICE.sub("", response.text)


def check_status(viewer: str, row: Row, response: httpx.Response) -> str | None:
    """What is wrong with the answer, or None."""
    want = row.expected[viewer]
    got = response.status_code
    location = response.headers.get("location", "")
    if want == "L":
        if got == 303 and location.startswith("/login?next="):
            return None
        return f"expected 303 to /login, got {got} {location}"
    if int(want) != got:
        return f"expected {want}, got {got}: {response.text[:300]!r}"
    if got == 303 and location.startswith("/login?next="):
        return f"expected a redirect, got one to the sign-in page ({location})"
    if row.is_api and got >= 400:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 422: "invalid"}.get(got)
        if code and response.json()["error"]["code"] != code:
            return f"error code {response.json()['error']['code']!r}, expected {code!r}"
    return None


async def send(
    client: httpx.AsyncClient, row: Row, path: str, csrf: str, auth: dict[str, str]
) -> httpx.Response:
    if row.is_api:
        body = row.data if row.method in ("POST", "PATCH", "PUT") else None
        return await client.request(row.method, path, json=body, headers=auth)
    if row.method == "GET":
        return await client.get(path)
    fields = {k: v for k, v in (row.data or {}).items() if v != "<png>"}
    files = {k: (f"{k}.png", PNG, "image/png") for k, v in (row.data or {}).items() if v == "<png>"}
    return await client.request(row.method, path, data={**fields, "csrf_token": csrf}, files=files or None)


async def check_counts(
    client: httpx.AsyncClient, viewer: str, content: Content, auth: dict[str, str]
) -> list[str]:
    """Counts shown to the viewer leave out what they may not see (the fixture's numbers)."""
    gold, staff, private = viewer in SEES_GOLD, viewer in STAFF, viewer in SEES_PRIVATE
    problems: list[str] = []
    pat = (await client.get(f"/api/v1/users/{content.values['pat']}", headers=auth)).json()
    expert = (await client.get(f"/api/v1/users/{content.values['expert']}", headers=auth)).json()
    listed = (await client.get("/api/v1/threads", headers=auth)).json()
    cats = (await client.get("/api/v1/categories", headers=auth)).json()
    expected = {
        "partner post_count": (pat["post_count"], 4 + 3 * gold + private),
        "expert post_count": (expert["post_count"], 1 + gold + 3 * staff + private),
        "expert accepted_count": (expert["accepted_count"], 1 * gold),
        "threads total": (listed["total"], 5 + gold + staff + private),
        "categories": (
            sorted(c["slug"] for c in cats["items"]),
            sorted(["general"] + ["gold-programme"] * gold + ["staff-room"] * staff),
        ),
    }
    page = (await client.get(f"/u/{content.values['expert']}")).text
    shown = re.search(r"<dt>Posts</dt><dd>(\d+)</dd>", page)
    expected["expert post_count on the profile page"] = (
        int(shown.group(1)) if shown else None,
        1 + gold + 3 * staff + private,
    )
    for what, (got, want) in expected.items():
        if got != want:
            problems.append(f"{viewer}: {what} is {got}, expected {want}")
    return problems


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_authorization_matrix(
    checked_client: httpx.AsyncClient, world: World, content: Content, viewer: str
):
    client = checked_client
    problems: list[str] = []
    auth: dict[str, str] = {}
    if viewer == "anon":
        csrf = CSRF_RE.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    else:
        user = content.users[viewer]
        csrf = await login(client, user)
        auth = {"Authorization": f"Bearer {await tokens.create_api_token(user)}"}
        problems += await check_counts(client, viewer, content, auth)
    secrets = (
        ([] if viewer in SEES_GOLD else content.secrets_gold)
        + ([] if viewer in STAFF else content.secrets_staff)
        + ([] if viewer in SEES_PRIVATE else content.secrets_private)
    )
    before = await snapshot()
    refused: set[str] = set()
    changed_ok: set[str] = set()
    twin_values = missing_twin(content.values)

    for row in MATRIX:
        path = row.path.format(**content.values)
        if row.data and any(isinstance(v, str) and "{" in v for v in row.data.values()):
            filled = {k: v.format(**content.values) if isinstance(v, str) else v for k, v in row.data.items()}
            row = dataclasses.replace(row, data=filled)
        response = await send(client, row, path, csrf, auth)
        where = f"{viewer}: {row.method} {row.path} ({path})"
        if problem := check_status(viewer, row, response):
            problems.append(f"{where}: {problem}")
        said = f"{path} {row.data}"
        for secret in secrets:
            if secret not in said and re.search(re.escape(secret) + r"(?!\d)", response.text):
                problems.append(f"{where}: the answer mentions {secret!r}, which {viewer} may not see")
        if response.status_code == 404 and row.keys and row.expected[viewer] == "404":
            twin_path = row.path.format(**twin_values)
            twin = await send(client, row, twin_path, csrf, auth)
            if (twin.status_code, comparable(twin)) != (404, comparable(response)):
                problems.append(f"{where}: 404 differs from the one for {twin_path}: {twin.text[:200]!r}")
        if row.method != "GET":
            to_sign_in = response.headers.get("location", "").startswith("/login?next=")
            (refused if response.status_code >= 400 or to_sign_in else changed_ok).update(row.keys)
        if row.path == "/account/password" and response.headers.get("location") == "/account/password":
            csrf = CSRF_RE.search((await client.get("/account/password")).text).group(1)  # type: ignore[union-attr]

    after = await snapshot()
    for key in refused - changed_ok:
        if (named := subject(content, key)) is None:
            continue
        kind, ident = named
        was, now = before[kind].get(ident), after[kind].get(ident)
        if was != now:
            problems.append(f"{viewer}: {key} changed behind a refused request: {was} -> {now}")
    for key in changed_ok & content.moderated.keys():
        kind, ident = content.moderated[key]
        if before[kind].get(ident) == after[kind].get(ident):
            problems.append(f"{viewer}: {key} was allowed but nothing changed: {after[kind].get(ident)}")
    assert not problems, "\n".join(problems)


# --- every route has a row -----------------------------------------------------------------------


def mounted_routes(app) -> list[tuple[str, str, re.Pattern[str]]]:  # type: ignore[no-untyped-def]
    """(method, path template, regex) for every route of the app, the /api/v1 mount included."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount) and route.routes:
            for sub in route.routes:
                assert isinstance(sub, Route), sub
                regex, template, _ = compile_path(route.path + sub.path)
                found += [(m, template, regex) for m in sorted(sub.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount):  # an app such as StaticFiles: anything under it
            found.append(("GET", route.path + "/{path}", re.compile("^" + re.escape(route.path) + "/.+$")))
        elif isinstance(route, WebSocketRoute):
            continue  # /ws: every viewer and every stream in tests/realtime/test_authorisation.py
        else:
            assert isinstance(route, Route), route
            found += [
                (m, route.path_format, route.path_regex) for m in sorted(route.methods or ()) if m != "HEAD"
            ]
    return found


async def test_every_route_is_in_the_matrix(app):
    routes = mounted_routes(app)
    placeholders = {k: 1 for row in MATRIX for k in row.keys}
    covered = set()
    for row in MATRIX:
        path = row.path.format(**placeholders).split("?")[0]
        matches = [(m, t) for m, t, regex in routes if m == row.method and regex.match(path)]
        assert matches, f"{row.method} {row.path} matches no route of the app"
        covered.update(matches)
    missing = sorted({(m, t) for m, t, _ in routes} - covered)
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"


# --- the dashboard seen by two organisations' admins ----------------------------------------------

OTHER_TITLE = "When is the spring rebate claim due for us"


async def test_an_organisation_admin_never_sees_another_organisations_row_or_private_question(
    checked_client: httpx.AsyncClient, world: World, content: Content
):
    """Two gold organisations, each with its admin: every page, CSV table, list of threads behind a
    figure and the API show each their own organisation only; the gold admin's private question, its
    public ones and its name never reach the other organisation's admin (same tier, same categories),
    and the other way round. Staff see both."""
    client = checked_client
    olga = content.users["other_org"]
    await olga.__class__.filter(id=olga.id).update(is_org_admin=True)
    olga = await olga.__class__.get(id=olga.id).select_related("organisation")
    other_q = await threads.create_thread(
        Actor.from_user(olga), category="general", kind="question", title=OTHER_TITLE, body="By when?"
    )
    await posts.reply(world.actor(world.expert), other_q.id, body="By the end of the quarter.")
    v = content.values
    gold_secrets = [
        "Gold Reseller GmbH", world.gold.slug, world.partner.display_name, world.colleague.display_name,
        *content.secrets_private, "How do I register a deal for a tender?", GOLD_TITLE,
        f"/t/{v['pub_q']}", f"/t/{v['gold_q']}", f"/t/{v['act_q']}",
    ]  # fmt: skip
    other_secrets = ["Other Gold AG", olga.display_name, OTHER_TITLE, f"/t/{other_q.id}"]
    tables = ("summary", "timings", "categories", "tiers", "organisations", "weeks", "contributors")

    async def everything(who: str) -> dict[str, str]:
        """Every dashboard answer this viewer gets, by URL."""
        urls = ["/health", "/health?tier=gold", "/health?category=general"]
        urls += [f"/health/export.csv?table={t}" for t in tables]
        urls += [
            f"/health/threads?figure={f}&member={world.expert.handle}" for f in FIGURES if f not in STAFF_ONLY
        ]
        got = {}
        for url in urls:
            response = await client.get(url)
            assert response.status_code == 200, (who, url, response.status_code)
            got[url] = response.text
        auth = {"Authorization": f"Bearer {await tokens.create_api_token(content.users[who])}"}
        for url in ("/api/v1/health-dashboard", "/api/v1/health-dashboard?tier=gold"):
            response = await client.get(url, headers=auth)
            assert response.status_code == 200, (who, url, response.status_code)
            got[url] = response.text
        return got

    for who, user, own, others in (
        ("other_org", olga, other_secrets, gold_secrets),
        ("partner", world.partner, gold_secrets[:2] + content.secrets_private[:1], other_secrets),
    ):
        client.cookies.clear()
        await login(client, user)
        seen = await everything(who)
        problems = [f"{who}: {url} mentions {s!r}" for url, text in seen.items() for s in others if s in text]
        assert not problems, "\n".join(problems)
        for secret in own:  # their own organisation is there (the check above is not vacuous)
            assert any(secret in text for text in seen.values()), (who, secret)
        # Asking for the other organisation is refused like an unknown one.
        slug = world.gold.slug if who == "other_org" else olga.organisation.slug
        assert (await client.get(f"/health?organisation={slug}")).status_code == 422
    client.cookies.clear()
    await login(client, world.admin)
    staff_view = (await client.get("/health/export.csv?table=organisations")).text
    assert "Gold Reseller GmbH" in staff_view and "Other Gold AG" in staff_view
    asked = (await client.get("/health/threads?figure=asked")).text
    assert f"/t/{v['priv_q']}" in asked and f"/t/{other_q.id}" in asked
