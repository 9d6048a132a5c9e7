"""Suggestions for the editor while someone types: people to @mention and tags in use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community.accounts import suggestions
from community.api.operations import area
from community.api.params import query_text
from community.api.responses import ShapeResponse
from community.api.shapes.search import (
    PersonSuggestion,
    PersonSuggestionList,
    TagSuggestion,
    TagSuggestionList,
)
from community.edge.auth import require_actor
from community.edge.rate import Window
from community.errors import Invalid
from community.forum import tag_suggestions
from community.validation import positive_int

# The editor asks after a pause in typing; far more than a person types is a script.
LOOKUPS = Window(240, 60, "suggestions")


async def people(request: Request) -> Response:
    actor = await require_actor(request)
    LOOKUPS.hit(actor.id)
    raw_thread = query_text(request, "thread")
    thread_id = None
    if raw_thread is not None and (thread_id := positive_int(raw_thread)) is None:
        raise Invalid({"thread": "The thread parameter is a thread's id."})
    found = await suggestions.suggest_people(actor, query_text(request, "q"), thread_id=thread_id)
    items = [
        PersonSuggestion(handle=p.handle, display_name=p.display_name, role=p.role, in_thread=p.in_thread)
        for p in found
    ]
    return ShapeResponse(PersonSuggestionList(items=items, total=len(items), next=None))


async def tags(request: Request) -> Response:
    actor = await require_actor(request)
    LOOKUPS.hit(actor.id)
    found = await tag_suggestions.suggest_tags(actor, query_text(request, "q"))
    items = [TagSuggestion(name=t.name, threads=t.threads) for t in found]
    return ShapeResponse(TagSuggestionList(items=items, total=len(items), next=None))


_route = area("search")
routes = [
    _route("GET", "/people/suggestions", people, "suggestPeople", "People to @mention",
           ok=(200, PersonSuggestionList, "Up to 8, the likeliest first."), errors=(404, 422, 429),
           description="For the editor's @mention completion: active members whose handle or name starts "
           "with `q` (without the @), among those the caller may know of: staff see everyone; a partner sees "
           "their own organisation's members, the company's people and anyone with a post they may read. "
           "With `thread` (a thread the caller may see, else 404): its participants first, and only people "
           "who may see it. An empty `q` without `thread` answers an empty list.",
           params=("Prefix", "SuggestThread")),
    _route("GET", "/tags/suggestions", tags, "suggestTags", "Tags in use",
           ok=(200, TagSuggestionList, "Up to 8, the most used first."), errors=(422, 429),
           description="For the tags field's completion: tags starting with `q` on threads the caller may "
           "read, with how many such threads carry each.", params=("Prefix",)),
]  # fmt: skip
