"""Experts and a question's routing."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import AuthorSummary, Body, CategoryRef, Instant, Shape, Url, text, utc
from community.api.shapes.forum import Tags
from community.experts.profiles import AWAY_MAX_DAYS, CATEGORIES_MAX, DirectoryEntry
from community.experts.routing import NOTE_MAX, RoutingView
from community.experts.routing import AskedExpert as AskedExpert_
from community.experts.targets import MAX_HOURS, MAX_ROUTE_COUNT, Targets
from community.experts.waiting import Waiting
from community.models import RoutingReason
from community.settings import Settings

Hours = Annotated[
    float | None,
    Meta(
        description="Median UTC wall-clock hours from a question to a first answer; null: none answered yet."
    ),
]


class ExpertFigures(Shape):
    """Counted over the questions the caller may see."""

    answers: int
    accepted_answers: int
    median_first_answer_hours: Hours


class Expert(Shape):
    """A member questions are routed to: their expertise, availability and figures."""

    handle: str
    display_name: str
    role: Annotated[str, Meta(extra_json_schema={"enum": ["expert", "moderator", "admin"]})]
    tags: list[str]
    categories: Annotated[
        list[CategoryRef], Meta(description="The categories of their expertise you may see.")
    ]
    available: bool
    away_until: Annotated[
        Instant | None, Meta(description="Away before this moment, back from it; null: around.")
    ]
    stand_in: Annotated[
        AuthorSummary | None, Meta(description="Who takes their questions while they are away.")
    ]
    figures: ExpertFigures
    url: Annotated[Url, Meta(description="Their page (HTML).")]
    ask_url: Annotated[Url, Meta(description="Ask them a question (HTML form).")]


class ExpertList(Shape):
    """The experts, available ones first (one page)."""

    items: list[Expert]
    total: int
    topic: Annotated[
        str | None,
        Meta(description="The topic filtered on (category:<slug>, tag:<name> or a bare name), or null."),
    ]


class RoutedExpert(Shape):
    """One expert a question went to."""

    expert: AuthorSummary
    reason: Annotated[
        str,
        Meta(
            description="match: their expertise matched; asked: the asker chose them; stand_in: standing in "
            "for an expert away (standing_in_for; note_html says why when the chain was longer); "
            "cover: in place of an expert away with no stand-in available (standing_in_for, note_html says "
            "why); fallback: no available expert's expertise matched; passed: a colleague passed it on "
            "(standing_in_for: the colleague chosen, who is away).",
            extra_json_schema={"enum": list(RoutingReason.ALL)},
        ),
    ]
    standing_in_for: AuthorSummary | None
    passed_by: AuthorSummary | None
    note_html: Annotated[
        str,
        Meta(description="The pass-on note, or why someone away was replaced (sanitised HTML); or empty."),
    ]
    routed_at: Instant
    passed_on_at: Annotated[Instant | None, Meta(description="When they passed it on; null: still on it.")]


class AskedExpert(Shape):
    """What became of "Ask this expert" (the asker and staff only)."""

    expert: AuthorSummary
    outcome: Annotated[
        str,
        Meta(
            description="routed: they are on it; stand_in: they are away and their stand-in (stand_in) took "
            "it; away: they are away with nobody standing in, another expert took it; passed_on: they "
            "passed it on to a colleague.",
            extra_json_schema={"enum": ["routed", "stand_in", "away", "passed_on"]},
        ),
    ]
    stand_in: AuthorSummary | None


class Routing(Shape):
    """Who is on a question. Everyone sees whether an expert is on it and how soon the category's
    questions are usually answered; staff also see whom it went to, its deadlines and whether it is
    overdue (null or empty for others)."""

    routed: bool
    answered: bool
    usually_answered_within_hours: Hours
    late: Annotated[
        bool,
        Meta(
            description="No answer yet and the first-answer target has passed: the experts have been "
            "reminded (everyone)."
        ),
    ]
    asked: Annotated[
        AskedExpert | None,
        Meta(description='The expert asked for by name ("Ask this expert"): the asker and staff; else null.'),
    ]
    experts: list[RoutedExpert]
    first_answer_due: Instant | None
    solution_due: Instant | None
    overdue: Annotated[
        str | None,
        Meta(
            description="first_answer or solution: that target has passed unmet (staff only).",
            extra_json_schema={"enum": ["first_answer", "solution", None]},
        ),
    ]


_Categories = Annotated[
    list[str],
    Meta(description="Slugs of the categories they know.", extra_json_schema={"maxItems": CATEGORIES_MAX}),
]
_AwayUntil = text(
    "Give the date you are back as YYYY-MM-DD, or leave it empty.",
    f"Away until this day (YYYY-MM-DD, after today, within {AWAY_MAX_DAYS} days); null: around.",
    format="date",
)
_StandIn = text(
    "Choose a colleague from the list, or nobody.",
    "Handle of the colleague who takes their questions while they are away; null: nobody.",
)
_Note = text("The note must be text.", "For the colleague (Markdown).", maxLength=NOTE_MAX)


class ExpertiseInput(Body):
    """An expert's expertise and availability, all of it: a field left out is emptied (away_until and
    stand_in may also be null)."""

    tags: Tags | UnsetType = UNSET
    categories: _Categories | UnsetType = UNSET
    away_until: _AwayUntil | UnsetType | None = UNSET
    stand_in: _StandIn | UnsetType | None = UNSET


class PassOnInput(Body):
    """Hand a routed question to a colleague."""

    required = ("to",)
    to: text("Choose a colleague to pass it to.", "Handle of a staff member.") | UnsetType = UNSET
    note: _Note | UnsetType = UNSET


def _person(row: dict | None) -> AuthorSummary | None:
    return AuthorSummary(handle=row["handle"], display_name=row["display_name"]) if row else None


def expert(settings: Settings, entry: DirectoryEntry) -> Expert:
    e = entry.expert
    return Expert(
        handle=e.handle, display_name=e.display_name, role=e.role, tags=list(e.tags),
        categories=[CategoryRef(slug=c["slug"], name=c["name"]) for c in entry.categories],
        available=entry.available, away_until=None if entry.available else utc(e.away_until),
        stand_in=AuthorSummary(handle=entry.stand_in.handle, display_name=entry.stand_in.display_name)
        if entry.stand_in else None,
        figures=ExpertFigures(
            answers=entry.figures.answers, accepted_answers=entry.figures.accepted,
            median_first_answer_hours=entry.figures.median_first_answer_hours,
        ),
        url=f"{settings.base_url}/experts/{e.handle}", ask_url=f"{settings.base_url}/ask?expert={e.handle}",
    )  # fmt: skip


def _asked(asked: AskedExpert_ | None) -> AskedExpert | None:
    if asked is None:
        return None
    return AskedExpert(
        expert=AuthorSummary(handle=asked.handle, display_name=asked.display_name),
        outcome=asked.outcome, stand_in=_person(asked.stand_in),
    )  # fmt: skip


def routing(view: RoutingView | None) -> Routing:
    if view is None:
        return Routing(
            routed=False, answered=False, usually_answered_within_hours=None, late=False, asked=None,
            experts=[], first_answer_due=None, solution_due=None, overdue=None,
        )  # fmt: skip
    return Routing(
        routed=view.routed, answered=view.answered, usually_answered_within_hours=view.usual_hours,
        late=view.late, asked=_asked(view.asked),
        experts=[
            RoutedExpert(
                expert=AuthorSummary(handle=r["handle"], display_name=r["display_name"]), reason=r["reason"],
                standing_in_for=_person(r.get("standing_in_for")), passed_by=_person(r.get("passed_by")),
                note_html=r["note_html"], routed_at=utc(r["routed_at"]),  # type: ignore[arg-type]
                passed_on_at=utc(r["passed_on_at"]),
            )
            for r in view.experts
        ],
        first_answer_due=utc(view.first_answer_due), solution_due=utc(view.solution_due),
        overdue=view.overdue,
    )  # fmt: skip


# --- the Waiting view and response targets ----------------------------------------------------------


class WaitingQuestion(Shape):
    """An open question still waiting for a first answer, or for an accepted answer where its
    category sets a solution target."""

    thread_id: int
    title: str
    url: Annotated[Url, Meta(description="The question's page (HTML).")]
    category: CategoryRef
    asked_at: Instant
    due: Annotated[Instant, Meta(description="The deadline it waits against (UTC wall clock).")]
    target: Annotated[
        str,
        Meta(
            description="first_answer or solution: which deadline.",
            extra_json_schema={"enum": ["first_answer", "solution"]},
        ),
    ]
    seconds_left: Annotated[int, Meta(description="Zero or negative: overdue by that many seconds.")]
    overdue: bool
    experts: Annotated[list[str], Meta(description="Display names of the experts on it.")]


class WaitingList(Shape):
    """The Waiting view: the least time left first (the overdue ones head the list), at most 200."""

    items: list[WaitingQuestion]
    total: Annotated[int, Meta(description="How many wait in all (items holds the first 200).")]
    next: Annotated[None, Meta(description="Always null: one page.")]


def waiting_question(settings: Settings, w: Waiting) -> WaitingQuestion:
    return WaitingQuestion(
        thread_id=w.thread_id, title=w.title, url=f"{settings.base_url}/t/{w.thread_id}",
        category=CategoryRef(slug=w.category_slug, name=w.category_name), asked_at=w.asked_at, due=w.due,
        target=w.target, seconds_left=w.seconds_left, overdue=w.overdue, experts=w.experts,
    )  # fmt: skip


class ResponseTarget(Shape):
    """A category's response targets (defaults where none was set)."""

    category: CategoryRef
    first_answer_hours: Annotated[int, Meta(ge=1, le=MAX_HOURS, description="A first answer within.")]
    solution_hours: Annotated[
        int | None, Meta(description="An accepted answer within; null: no solution target.")
    ]
    route_count: Annotated[
        int, Meta(ge=1, le=MAX_ROUTE_COUNT, description="How many experts a new question is routed to.")
    ]


class ResponseTargetList(Shape):
    """Every category with its targets."""

    items: list[ResponseTarget]
    total: int
    next: Annotated[None, Meta(description="Always null: one page.")]


_TargetHours = Annotated[
    int | str,
    Meta(
        description=f"Whole hours, 1 to {MAX_HOURS} (UTC wall clock).",
        extra={"invalid": f"A whole number of hours from 1 to {MAX_HOURS}."},
    ),
]


class ResponseTargetInput(Body):
    """A category's targets; they apply to questions asked from then on."""

    required = ("first_answer_hours", "route_count")
    first_answer_hours: _TargetHours | UnsetType = UNSET
    solution_hours: _TargetHours | UnsetType | None = UNSET
    route_count: Annotated[
        int | str,
        Meta(
            description=f"1 to {MAX_ROUTE_COUNT} experts.",
            extra={"invalid": f"Route new questions to 1 to {MAX_ROUTE_COUNT} experts."},
        ),
    ] | UnsetType = UNSET  # fmt: skip


def response_target(category: dict[str, Any], targets: Targets) -> ResponseTarget:
    return ResponseTarget(
        category=CategoryRef(slug=category["slug"], name=category["name"]),
        first_answer_hours=targets.first_answer_hours, solution_hours=targets.solution_hours,
        route_count=targets.route_count,
    )  # fmt: skip
