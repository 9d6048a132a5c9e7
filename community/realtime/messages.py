"""What one connection receives for one log row: the per-viewer half of live delivery.

Every row is checked against the connection's actor with the rules of ``community.policy`` and the
facts stored in the row (the thread's category visibility and opening post, the post's state and
author), so a hidden or held post, or a thread someone may no longer see, never reaches them.
Posts are rendered with the thread page's own template, as that viewer would see them; viewers
whose rendering is the same share one encoded message (``Renderer`` memoises both steps).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from community import policy
from community.actor import Actor
from community.forum import thread_page
from community.models import PostState, ThreadKind
from community.realtime.log import QUEUE_STREAM, LiveMessage
from community.templating import environment

# Live delivery renders with an environment of its own: the same templates, and the filters the post
# partial needs (``templating``); the page-only globals stay in ``web.render``.
_templates = environment()

# The answer for a viewer who may not see the stream any more: unsubscribe them.
DENY = "deny"

_POST_TIMES = ("created_at", "edited_at")


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def may_see_thread(actor: Actor, facts: dict[str, Any]) -> bool:
    return (
        not facts.get("is_deleted")
        and policy.can_see_category_rule(actor, facts["visibility"], facts["tiers"])
        and policy.can_see_thread(
            actor, facts["author_id"], facts["opening_state"], private_org_id=facts.get("private_org_id")
        )
    )


def _thread_summary(facts: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "kind", "status", "locked", "accepted_post_id", "reply_count")
    return {k: facts.get(k) for k in keys}


class ThreadFacts:
    """The thread as the policy and the post template read it (every column of ``Thread``)."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self.__dict__.update(facts)

    @property
    def is_question(self) -> bool:
        return self.__dict__.get("kind") == ThreadKind.QUESTION


def _post_row(post: dict[str, Any]) -> dict[str, Any]:
    row = dict(post)
    for key in _POST_TIMES:
        if isinstance(row.get(key), str):
            row[key] = datetime.fromisoformat(row[key])
    return row


class Renderer:
    """Per log row: the encoded message for each kind of viewer, computed once per kind."""

    __slots__ = ("_by_actor", "_by_variant", "_post", "_thread", "message")

    def __init__(self, message: LiveMessage) -> None:
        self.message = message
        self._by_actor: dict[Actor, str | None] = {}
        self._by_variant: dict[tuple[Any, ...], str | None] = {}
        self._thread: ThreadFacts | None = None
        self._post: dict[str, Any] | None = None

    def for_actor(self, actor: Actor) -> str | None:
        """The text to send, None (nothing for this viewer) or ``DENY``."""
        try:
            return self._by_actor[actor]
        except KeyError:
            out = self._by_actor[actor] = self._compute(actor)
            return out

    def _envelope(self, data: dict[str, Any]) -> str:
        m = self.message
        return encode({"type": "event", "id": m.id, "stream": m.stream, "kind": m.kind, "data": data})

    def _compute(self, actor: Actor) -> str | None:
        m = self.message
        if m.stream == QUEUE_STREAM:
            return self._shared("queue", m.payload) if policy.can_moderate(actor) else DENY
        if m.stream.startswith("user:"):
            return self._shared("user", m.payload) if m.stream == f"user:{actor.id}" else DENY
        facts = m.payload.get("thread")
        if not facts or not may_see_thread(actor, facts):
            return DENY
        if m.kind == "post":
            return self._post_for(actor, facts)
        if m.kind == "score":
            post = m.payload["post"]
            if post["state"] == PostState.PENDING and not policy.can_see_post_body(actor, _Post(post)):
                return None
            return self._shared("score", {"post_id": post["id"], "score": post["score"]})
        return self._shared("thread", {"thread": _thread_summary(facts)})

    def _shared(self, key: str, data: dict[str, Any]) -> str | None:
        out = self._by_variant.get((key,))
        if out is None:
            out = self._by_variant[(key,)] = self._envelope(data)
        return out

    def _post_for(self, actor: Actor, facts: dict[str, Any]) -> str | None:
        if self._thread is None:
            self._thread = ThreadFacts(facts)
            self._post = _post_row(self.message.payload["post"])
        assert self._post is not None
        view = thread_page.post_view(actor, self._thread, self._post)  # type: ignore[arg-type]
        if view.state == PostState.PENDING and not view.body_html:
            return None  # the thread page does not list held posts to those who may not see them
        is_author = view.author_id == actor.id
        variant = (is_author, *(v for v in vars(view).values() if isinstance(v, bool)), bool(view.body_html))
        out = self._by_variant.get(variant)
        if out is None:
            html = _templates.get_template("live/post.html").render(
                p=view,
                thread=self._thread,
                actor=actor,
                csrf_token="",
                is_question=self._thread.kind == ThreadKind.QUESTION,
            )
            data = {
                "post_id": view.id,
                "state": view.state,
                "is_opening": view.is_opening,
                "html": html.strip(),
                "thread": _thread_summary(facts),
            }
            out = self._by_variant[variant] = self._envelope(data)
        return out


class _Post:
    __slots__ = ("author_id", "state")

    def __init__(self, row: dict[str, Any]) -> None:
        self.author_id, self.state = row["author_id"], row["state"]
