"""The dashboard's filters: a period (whole UTC days), and optionally a category, a partner tier
and a partner organisation. A partner organisation's admin always sees their own organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from community import policy, validation
from community.actor import Actor
from community.errors import Forbidden
from community.models import Category, Organisation, OrgKind

DEFAULT_DAYS = 28  # the default period: the last four weeks, today included
MAX_DAYS = 732  # two years at most in one view


@dataclass(frozen=True)
class Filters:
    start: date  # first day, included
    end: date  # last day, included
    category: Category | None = None
    tier: str | None = None
    organisation: Organisation | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self, **changes: object) -> dict[str, str]:
        """The query parameters that show these filters (with ``changes``), for links and exports."""
        values: dict[str, object] = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "category": self.category.slug if self.category else None,
            "tier": self.tier,
            "organisation": self.organisation.slug if self.organisation else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def query(self, **changes: object) -> str:
        return urlencode(self.params(**changes))


def shown_period(params: Mapping[str, object], today: date) -> tuple[str, str]:
    """The dates a refused form shows again: those given, or the default period's (before, a
    refusal for another field left From and To empty)."""
    fields: dict[str, str] = {}
    end = _day(params.get("to"), fields, "to", today)
    start = _day(params.get("from"), fields, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    given_from, given_to = params.get("from"), params.get("to")
    return (
        str(given_from) if given_from not in (None, "") else start.isoformat(),
        str(given_to) if given_to not in (None, "") else end.isoformat(),
    )


def _day(value: object, fields: dict[str, str], name: str, default: date) -> date:
    if value in (None, ""):
        return default
    if isinstance(value, str) and len(value) == 10 and value.isascii():
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    fields[name] = "Give a date as YYYY-MM-DD, e.g. 2026-03-31."
    return default


async def read_filters(
    actor: Actor, params: Mapping[str, object], tiers: tuple[str, ...], today: date
) -> Filters:
    """The filters asked for, checked: 403 for someone who may not see the dashboard, 422 naming each
    wrong field. A partner organisation's admin gets their own organisation whatever they ask."""
    if not policy.can_see_dashboard(actor):
        raise Forbidden("The channel-health dashboard is for staff and partner organisation admins.")
    fields: dict[str, str] = {}
    end = _day(params.get("to"), fields, "to", today)
    start = _day(params.get("from"), fields, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    if not fields and start > end:
        fields["from"] = "The period must start on or before its last day."
    elif not fields and (end - start).days >= MAX_DAYS:
        fields["from"] = f"Choose a period of at most {MAX_DAYS} days."
    category = None
    slug = params.get("category")
    if slug not in (None, ""):
        category = await Category.filter(slug=slug).first() if validation.can_name_something(slug) else None
        if category is None or not policy.can_see_category(actor, category):
            fields["category"] = "Choose a category from the list."
            category = None
    tier = params.get("tier")
    if tier in (None, ""):
        tier = None
    elif tier not in tiers:
        fields["tier"] = f"Choose one of: {', '.join(tiers)}."
        tier = None
    organisation = None
    scope = policy.dashboard_organisation(actor)
    org_slug = params.get("organisation")
    if org_slug not in (None, ""):
        if validation.can_name_something(org_slug):
            organisation = await Organisation.filter(slug=org_slug, kind__not=OrgKind.COMPANY).first()
        if scope is not None and (organisation is None or organisation.id != scope):
            # Their form has no organisation field: say it plainly (unknown or another one alike).
            fields["organisation"] = "You can see only your organisation's figures."
            organisation = None
        elif organisation is None:
            fields["organisation"] = "Choose an organisation from the list."
    validation.raise_if(fields)
    if scope is not None:
        organisation = await Organisation.get(id=scope)
    return Filters(start, end, category, str(tier) if tier else None, organisation)
