"""Experts and routing over JSON: the directory, one expert, and who is on a question."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.api.operations import area
from community.api.params import path_text, query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes.experts import (
    Expert,
    ExpertiseInput,
    ExpertList,
    PassOnInput,
    ResponseTarget,
    ResponseTargetInput,
    ResponseTargetList,
    Routing,
    WaitingList,
    expert,
    response_target,
    routing,
    waiting_question,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.experts import profiles, targets, waiting
from community.experts import routing as routing_use_case
from community.timeutil import utcnow
from community.visibility import load_visible_thread


async def list_experts(request: Request) -> Response:
    actor = await require_actor(request)
    found = await profiles.list_directory(actor, topic=query_text(request, "topic"))
    settings = settings_of(request)
    return ShapeResponse(
        ExpertList(
            items=[expert(settings, e) for e in found.entries], total=len(found.entries), topic=found.topic
        )
    )


async def get_expert(request: Request) -> Response:
    actor = await require_actor(request)
    entry = await profiles.get_directory_entry(actor, path_text(request, "handle"))
    return ShapeResponse(expert(settings_of(request), entry))


async def get_routing(request: Request) -> Response:
    actor = await require_actor(request)
    thread = await load_visible_thread(actor, path_id(request))
    return ShapeResponse(routing(await routing_use_case.routing_view(actor, thread)))


async def update_expertise(request: Request) -> Response:
    actor = await require_actor(request)
    handle = path_text(request, "handle")
    data = await read_body(request, ExpertiseInput)
    await profiles.update_expertise(actor, handle, **data.args())
    return ShapeResponse(expert(settings_of(request), await profiles.get_directory_entry(actor, handle)))


async def list_waiting(request: Request) -> Response:
    actor = await require_actor(request)
    routed = query_typed(request, "routed")
    if routed not in (None, "me"):
        raise Invalid({"routed": "routed=me keeps the questions routed to you; leave it out for all."})
    found = await waiting.waiting_page(actor, utcnow(), mine=routed == "me")
    settings = settings_of(request)
    items = [waiting_question(settings, w) for w in found.rows]
    return ShapeResponse(WaitingList(items=items, total=found.total, next=None))


async def list_response_targets(request: Request) -> Response:
    actor = await require_actor(request)
    rows = await targets.list_targets(actor)
    return ShapeResponse(
        ResponseTargetList(items=[response_target(c, t) for c, t in rows], total=len(rows), next=None)
    )


async def set_response_targets(request: Request) -> Response:
    actor = await require_actor(request)
    slug = path_text(request, "slug")
    data = await read_body(request, ResponseTargetInput)
    await targets.set_targets(actor, slug, **data.args())
    found = next((c, t) for c, t in await targets.list_targets(actor) if c["slug"] == slug)
    return ShapeResponse(response_target(*found))


async def pass_on(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_body(request, PassOnInput)
    await routing_use_case.pass_on(actor, thread_id, **data.args(note=""))
    thread = await load_visible_thread(actor, thread_id)
    return ShapeResponse(routing(await routing_use_case.routing_view(actor, thread)))


_route = area("experts")
routes = [
    _route("GET", "/experts", list_experts, "listExperts", "The experts, optionally for one topic",
           ok=(200, ExpertList, "Available experts first."), errors=(422,), params=("Topic",),
           description="Anyone signed in. Figures count only questions in categories the caller may see."),
    _route("GET", "/experts/{handle}", get_expert, "getExpert", "One expert",
           ok=(200, Expert, "The expert."), errors=(404,), params=("Handle",),
           description="A member who is not an expert answers 404."),
    _route("GET", "/threads/{id:int}/routing", get_routing, "getThreadRouting", "Who is on a question",
           ok=(200, Routing, "The routing (staff see whom it went to, its deadlines and whether it is "
               "overdue)."), errors=(404,), params=("Id",),
           description="A discussion, or a question asked before routing existed, answers routed false."),
    _route("PUT", "/experts/{handle}/expertise", update_expertise, "updateExpertise",
           "Set an expert's expertise and availability",
           ok=(200, Expert, "The expert as the directory now shows them."), errors=(403, 404, 422),
           params=("Handle",), body=ExpertiseInput,
           description="The expert themselves or an admin (403 for others). Routing uses it from the next "
           "question on."),
    _route("POST", "/threads/{id:int}/pass", pass_on, "passOnQuestion", "Pass a question on to a colleague",
           ok=(200, Routing, "Who is on the question now."), errors=(403, 404, 409, 422), params=("Id",),
           body=PassOnInput, guard=policy.can_route_questions,
           description="Staff only (403 before the body is read for others). The colleague is told, with the "
           "note; the one passing it is no longer on it. 409 for a discussion."),
    _route("GET", "/waiting", list_waiting, "listWaitingQuestions", "Questions waiting for an answer (staff)",
           ok=(200, WaitingList, "Least time left first; the overdue ones head the list."), errors=(403, 422),
           params=("WaitingRouted",),
           description="Staff only. Open questions without a first answer, or without an accepted answer "
           "where the category sets a solution target, with their deadline on the UTC wall clock (the "
           "/waiting page)."),
    _route("GET", "/response-targets", list_response_targets, "listResponseTargets",
           "Every category's response targets (admins)",
           ok=(200, ResponseTargetList, "Every category, with the defaults where none was set (24 h, no "
               "solution target, 3 experts)."), errors=(403,)),
    _route("PUT", "/response-targets/{slug}", set_response_targets, "setResponseTargets",
           "Set a category's response targets (admins)",
           ok=(200, ResponseTarget, "The category's targets, as saved."), errors=(403, 404, 422),
           params=("CategorySlug",), body=ResponseTargetInput, guard=policy.can_set_response_targets,
           description="Admins only (403 before the body is read for others). solution_hours null or left "
           "out: no solution target; it cannot be sooner than the first answer. Questions asked from then "
           "on get these deadlines and this many experts; earlier ones keep theirs."),
]  # fmt: skip
