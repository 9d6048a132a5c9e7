"""What the Markdown editor asks the server while someone writes (static/js/editor.js): the live
preview, rendered by the same code and sanitiser as a saved post. Nothing here writes anything.

The forms work without these endpoints; the editor only enhances them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.accounts import suggestions
from community.edge.auth import require_actor
from community.edge.rate import Window
from community.errors import Invalid
from community.post_text import render_post_body
from community.validation import BODY_MAX, positive_int
from community.web.forms import is_on, read_fields

# The editor asks at most about twice a second while someone types (it waits for a pause);
# a script asking faster than this is answered 429.
PREVIEWS = Window(120, 60, "previews")


async def preview(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "body", "thread", "category", "private")
    PREVIEWS.hit(actor.id)
    body = values["body"]
    if len(body) > BODY_MAX:
        raise Invalid({"body": f"The text can have at most {BODY_MAX:,} characters (it has {len(body):,})."})
    thread_id = None
    if values["thread"] and (thread_id := positive_int(values["thread"])) is None:
        raise Invalid({"thread": "The thread is a thread's id."})
    html, mentioned = await render_post_body(body)
    # Mentioned people who could not see the text where it goes are not told: say so now.
    unseen = await suggestions.who_cannot_see(
        actor, mentioned, thread_id=thread_id, category_slug=values["category"] or None,
        private=is_on(values["private"]),
    ) if mentioned else []  # fmt: skip
    return JSONResponse({"html": html, "unseen": unseen}, headers={"Cache-Control": "no-store"})


routes = [Route("/preview", preview, methods=["POST"])]
