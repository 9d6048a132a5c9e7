"""Expert profiles: who the experts are, what they know (tags and categories), whether they are
around (away until a date, with an optional stand-in), the directory anyone signed in can filter
by topic, and changing one's expertise (the expert, or an admin).

An expert is a staff member with the expert role, or any staff member (a moderator, an admin) who
has given themselves expertise. Suspended accounts are nobody's expert.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from community import policy, validation
from community.actor import Actor, as_aware
from community.errors import Forbidden, Invalid, NotFound
from community.experts.figures import ExpertFigures, expert_figures
from community.models import Category, ExpertProfile, Role, User
from community.timeutil import utcnow

TOPIC_RE = re.compile(r"^(?:(tag|category):)?([a-z0-9][a-z0-9+#.-]{0,59})$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Away for longer than this is not "away": ask an admin to change the role instead.
AWAY_MAX_DAYS = 366
CATEGORIES_MAX = 30


@dataclass
class Expert:
    id: int
    handle: str
    display_name: str
    role: str
    tags: list[str]
    category_ids: list[int]
    away_until: datetime | None = None
    stand_in_id: int | None = None
    last_routed_at: datetime | None = None
    # In the directory (the expert role, or expertise given): routed by match. Any other staff
    # member may still stand in for a colleague or be passed a question.
    listed: bool = True

    def is_available(self, now: datetime) -> bool:
        return self.away_until is None or self.away_until <= now

    @property
    def back_on(self) -> str:
        """The day they are back, as people read it ("12 December 2026"); empty when around."""
        return f"{self.away_until.day} {self.away_until:%B %Y}" if self.away_until else ""


@dataclass(frozen=True)
class Cover:
    """Who takes the questions of an expert who is away: ``by``, the first available person along
    the chain of stand-ins (their stand-in, the stand-in's own when that one is away too, ...), or
    None when the chain ends, comes back on itself or reaches someone who cannot take questions.
    ``away``: the away experts passed through, the one asked about first."""

    away: tuple[Expert, ...]
    by: Expert | None

    def explain(self, *, asked: bool = False) -> str:
        """Why someone else took it, in staff's words: "Priya Raman is away until 20 December
        2026; their stand-in Tomás Herrera is away too." (no pronouns: we do not know them)."""
        first, *rest = self.away
        text = f"{first.display_name}{', asked for by name,' if asked else ''} is away until {first.back_on}"
        if not rest:
            if self.by is not None:
                return text + "."
            gone = (
                "; their stand-in cannot take questions now." if first.stand_in_id else ", with no stand-in."
            )
            return text + gone
        text += f"; their stand-in {rest[0].display_name} is away too"
        for before, person in itertools.pairwise(rest):
            text += f", and so is {before.display_name}'s stand-in {person.display_name}"
        return text + "."


def find_cover(people: dict[int, Expert], expert: Expert, now: datetime) -> Cover:
    """Follow the stand-ins from an away ``expert`` (``people``: every staff member who can take
    questions, ``load_staff``) to the first one available; never loops (Priya standing in for
    Tomás and Tomás for Priya ends with nobody)."""
    away = [expert]
    seen = {expert.id}
    current = expert
    while current.stand_in_id is not None:
        nxt = people.get(current.stand_in_id)
        if nxt is None or nxt.id in seen:
            break
        if nxt.is_available(now):
            return Cover(tuple(away), nxt)
        away.append(nxt)
        seen.add(nxt.id)
        current = nxt
    return Cover(tuple(away), None)


def _json_list(value: object) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, list) else []


async def load_experts(now: datetime | None = None) -> dict[int, Expert]:
    """Every expert by user id (two queries: staff accounts and expert profiles)."""
    return {uid: e for uid, e in (await load_staff(now)).items() if e.listed}


async def load_staff(now: datetime | None = None) -> dict[int, Expert]:
    """Every staff member who can take questions (not suspended) by user id, experts or not (a
    moderator may stand in for an expert, or be passed a question): two queries."""
    now = now or utcnow()
    staff = await User.filter(role__in=list(Role.STAFF)).values(
        "id", "handle", "display_name", "role", "expertise_tags", "suspended_until"
    )
    profiles = {
        row["user_id"]: row
        for row in await ExpertProfile.all().values(
            "user_id", "category_ids", "away_until", "stand_in_id", "last_routed_at"
        )
    }
    found: dict[int, Expert] = {}
    for row in staff:
        suspended = as_aware(row["suspended_until"])
        if suspended is not None and suspended > now:
            continue
        profile = profiles.get(row["id"], {})
        tags = [t for t in _json_list(row["expertise_tags"]) if isinstance(t, str)]
        cats = [c for c in _json_list(profile.get("category_ids")) if isinstance(c, int)]
        found[row["id"]] = Expert(
            id=row["id"], handle=row["handle"], display_name=row["display_name"], role=row["role"],
            tags=tags, category_ids=cats, away_until=as_aware(profile.get("away_until")),
            stand_in_id=profile.get("stand_in_id"), last_routed_at=as_aware(profile.get("last_routed_at")),
            listed=row["role"] == Role.EXPERT or bool(tags) or bool(cats),
        )  # fmt: skip
    return found


# --- the directory ---------------------------------------------------------------------------------


@dataclass
class DirectoryEntry:
    expert: Expert
    available: bool
    categories: list[dict[str, Any]]  # {"slug", "name"} of the categories the viewer may see
    stand_in: Expert | None
    figures: ExpertFigures


@dataclass
class Directory:
    entries: list[DirectoryEntry]
    topic: str | None  # as filtered on: "category:<slug>", "tag:<name>", or a bare one (either)
    topic_label: str = ""  # what the page says it filtered on
    tags: list[str] = field(default_factory=list)  # every expertise tag, for the filter
    categories: list[dict[str, Any]] = field(default_factory=list)  # every visible expertise category


def _topic(value: object) -> tuple[str | None, str] | None:
    """``category:<slug>``, ``tag:<name>``, or a bare name meaning either (a category's slug may
    be a tag's name too: "Pricing & deal registration" and the tag "pricing"), as (kind, name)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip().lower() if isinstance(value, str) else ""
    found = TOPIC_RE.match(text)
    if found is None:
        raise Invalid({"topic": "The topic is a tag or a category's short name: letters, digits and dashes."})
    return found.group(1), found.group(2)


async def list_directory(actor: Actor, *, topic: object = None) -> Directory:
    """The experts, available ones first, optionally only those whose expertise covers ``topic``
    (a tag, or a category's slug). Categories the viewer may not see are left out of everything."""
    wanted = _topic(topic)
    now = utcnow()
    experts = await load_experts(now)
    visible = await policy.visible_category_ids(actor)
    cats = {
        c["id"]: c
        for c in await Category.filter(id__in=visible)
        .order_by("position", "name")
        .values("id", "slug", "name")
    }
    chosen = list(experts.values())
    label = ""
    if wanted is not None:
        kind, name = wanted
        slug_ids = {cid for cid, c in cats.items() if c["slug"] == name} if kind != "tag" else set()
        by_tag = kind != "category"
        chosen = [e for e in chosen if (by_tag and name in e.tags) or slug_ids & set(e.category_ids)]
        if kind == "category":
            label = next((c["name"] for c in cats.values() if c["slug"] == name), name) + " (category)"
        else:
            label = f"{name} (tag)" if kind == "tag" else name
    figures = await expert_figures(
        [e.id for e in chosen], visible, actor.organisation_id, staff=actor.is_staff
    )
    entries = [
        DirectoryEntry(
            expert=e,
            available=e.is_available(now),
            categories=[
                {"slug": cats[c]["slug"], "name": cats[c]["name"]} for c in e.category_ids if c in cats
            ],
            stand_in=experts.get(e.stand_in_id) if e.stand_in_id else None,
            figures=figures[e.id],
        )
        for e in chosen
    ]
    entries.sort(key=lambda d: (not d.available, d.expert.display_name.lower()))
    used = {c for e in experts.values() for c in e.category_ids}
    return Directory(
        entries=entries,
        topic=None if wanted is None else (f"{wanted[0]}:{wanted[1]}" if wanted[0] else wanted[1]),
        topic_label=label,
        tags=sorted({t for e in experts.values() for t in e.tags}),
        categories=[{"slug": c["slug"], "name": c["name"]} for cid, c in cats.items() if cid in used],
    )


async def get_directory_entry(actor: Actor, handle: str) -> DirectoryEntry:
    directory = await list_directory(actor)
    for entry in directory.entries:
        if entry.expert.handle == handle:
            return entry
    raise NotFound("No such expert.")


async def find_expert(handle: object) -> Expert | None:
    """The expert with this handle, or None (not an expert, suspended, or no such member)."""
    if not isinstance(handle, str) or not validation.can_name_something(handle):
        return None
    user_id = await User.filter(handle=handle).values_list("id", flat=True)
    if not user_id:
        return None
    return (await load_experts()).get(user_id[0])


async def not_an_expert(handle: object) -> str | None:
    """The name of the member with this handle who is not in the directory (a moderator who has
    given themselves no expertise, a partner), or None when nobody has it: the ask form then
    says who they are rather than "there is no expert with that name"."""
    if not isinstance(handle, str) or not validation.can_name_something(handle):
        return None
    names = await User.filter(handle=handle).values_list("display_name", flat=True)
    return names[0] if names else None


# --- changing one's expertise ------------------------------------------------------------------------


@dataclass
class ExpertiseForm:
    user: User
    tags: list[str]
    category_slugs: list[str]
    away_until: str  # YYYY-MM-DD or ""
    stand_in: str  # a handle or ""
    categories: list[dict[str, Any]]  # every category, to choose from
    colleagues: list[dict[str, Any]]  # every other staff member, to stand in


async def _editable(actor: Actor, handle: str) -> User:
    user = None
    if validation.can_name_something(handle):
        user = await User.filter(handle=handle).first()
    if user is None or user.role not in Role.STAFF:
        raise NotFound("No such expert.")
    if not policy.can_edit_expertise(actor, user.id, user.role):
        raise Forbidden("Only the expert themselves or an admin can change their expertise.")
    return user


async def _choices(user_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    categories = await Category.all().order_by("position", "name").values("id", "slug", "name")
    colleagues = (
        await User.filter(role__in=list(Role.STAFF))
        .exclude(id=user_id)
        .order_by("display_name")
        .values("id", "handle", "display_name")
    )
    return categories, colleagues


async def expertise_form(actor: Actor, handle: str) -> ExpertiseForm:
    user = await _editable(actor, handle)
    profile = await ExpertProfile.get_or_none(user_id=user.id)
    categories, colleagues = await _choices(user.id)
    ids = set(profile.category_ids if profile else [])
    away = as_aware(profile.away_until) if profile else None
    stand_in = next((c["handle"] for c in colleagues if profile and c["id"] == profile.stand_in_id), "")
    return ExpertiseForm(
        user=user, tags=list(user.expertise_tags or []),
        category_slugs=[c["slug"] for c in categories if c["id"] in ids],
        away_until=away.date().isoformat() if away and away > utcnow() else "", stand_in=stand_in,
        categories=categories, colleagues=colleagues,
    )  # fmt: skip


def parse_away_until(value: object, fields: dict[str, str], today: date) -> datetime | None:
    """A date (YYYY-MM-DD) after today: away until the start of that day, UTC. Empty: available."""
    if value is None or value == "":
        return None
    text = value.strip() if isinstance(value, str) else None
    if not text:
        return None if text == "" else _bad_date(fields)
    try:
        day = date.fromisoformat(text) if DATE_RE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        return _bad_date(fields)
    if day <= today or day > today + timedelta(days=AWAY_MAX_DAYS):
        fields["away_until"] = f"Give a date after today and within {AWAY_MAX_DAYS} days, or leave it empty."
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _bad_date(fields: dict[str, str]) -> None:
    fields["away_until"] = "Give the date you are back as YYYY-MM-DD, or leave it empty."
    return None


async def update_expertise(
    actor: Actor, handle: str, *, tags: object, categories: object, away_until: object, stand_in: object
) -> User:
    """Tags go to ``User.expertise_tags`` (the profile page shows them too); the rest to the
    expert's profile. ``categories``: slugs; ``stand_in``: a colleague's handle or empty."""
    user = await _editable(actor, handle)
    all_categories, colleagues = await _choices(user.id)
    fields: dict[str, str] = {}
    tag_names = validation.tags(tags, fields, "tags")
    by_slug = {c["slug"]: c["id"] for c in all_categories}
    slugs = categories if isinstance(categories, list) else ([] if categories in (None, "") else None)
    if slugs is None or not all(isinstance(s, str) and s in by_slug for s in slugs):
        fields["categories"] = "Choose categories from the list."
        slugs = []
    elif len(slugs) > CATEGORIES_MAX:
        fields["categories"] = f"Choose at most {CATEGORIES_MAX} categories."
    away = parse_away_until(away_until, fields, utcnow().date())
    stand_in_id = None
    if stand_in not in (None, ""):
        stand_in_id = next((c["id"] for c in colleagues if c["handle"] == stand_in), None)
        if stand_in_id is None:
            fields["stand_in"] = "Choose a colleague from the list, or nobody."
        elif away is not None:
            # Stand-ins pointing at each other (both away) would route questions to nobody.
            now = utcnow()
            person = (await load_staff(now)).get(stand_in_id)
            if person is None:
                fields["stand_in"] = "This colleague cannot take questions now: choose another, or nobody."
            elif not person.is_available(now):
                fields["stand_in"] = (
                    f"{person.display_name} is away too (until {person.back_on}): choose a colleague who is "
                    "around, or nobody."
                )
    validation.raise_if(fields)
    user.expertise_tags = tag_names
    await user.save(update_fields=["expertise_tags"])
    category_ids = list(dict.fromkeys(by_slug[s] for s in slugs))
    profile, created = await ExpertProfile.get_or_create(
        user_id=user.id,
        defaults={"category_ids": category_ids, "away_until": away, "stand_in_id": stand_in_id},
    )
    if not created:
        profile.category_ids, profile.away_until, profile.stand_in_id = category_ids, away, stand_in_id
        await profile.save(update_fields=["category_ids", "away_until", "stand_in_id", "updated_at"])
    return user
