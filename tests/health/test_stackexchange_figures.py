"""After importing the coffee.stackexchange.com dump, the dashboard's median and 90th percentile
time from question to first answer, its share answered and its share solved equal the same figures
computed here straight from the XML's dates, with the standard library's statistics (the dashboard
has its own quantile code).

Definitions, on both sides: a question is answered by an answer from someone other than its asker
(13 answers in the file are their asker's own); solved when it names an accepted answer."""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from community.forum.importer import import_stackexchange
from community.health.dashboard import build_dashboard
from community.health.filters import read_filters
from community.health.questions import figures as question_figures
from community.health.questions import questions
from community.settings import Settings
from tests.conftest import SHARED_DATA, World

COFFEE = SHARED_DATA / "coffee-Posts.xml"


def _when(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def from_the_xml() -> dict[str, float]:
    rows = [row.attrib for row in ET.parse(COFFEE).getroot()]
    questions = {r["Id"]: r for r in rows if r.get("PostTypeId") == "1"}
    first: dict[str, datetime] = {}
    for r in rows:
        if r.get("PostTypeId") != "2" or r.get("ParentId") not in questions:
            continue
        q = questions[r["ParentId"]]
        if r.get("OwnerUserId") == q.get("OwnerUserId"):
            continue
        when = _when(r["CreationDate"])
        if r["ParentId"] not in first or when < first[r["ParentId"]]:
            first[r["ParentId"]] = when
    hours = [(first[i] - _when(questions[i]["CreationDate"])).total_seconds() / 3600 for i in first]
    return {
        "asked": len(questions),
        "median": statistics.median(hours),
        "p90": statistics.quantiles(hours, n=10, method="inclusive")[8],
        "answered": 100 * len(first) / len(questions),
        "solved": 100 * sum(1 for q in questions.values() if q.get("AcceptedAnswerId")) / len(questions),
    }


@pytest.mark.skipif(not COFFEE.exists(), reason="the shared coffee dump is not here")
async def test_imported_figures_equal_those_of_the_xml(db: Settings, world: World) -> None:
    await import_stackexchange(db, COFFEE, category_slug="coffee")
    board = await build_dashboard(
        world.actor(world.admin),
        {"from": "2015-01-01", "to": "2015-03-31"},
        db.partner_tiers,
        date(2026, 1, 1),
    )
    figures = {row["figure"]: row["value"] for row in board.table("summary").rows}
    timings = {row["what"]: row for row in board.table("timings").rows}
    expected = from_the_xml()
    first = timings["First answer (anyone but the asker)"]
    assert figures["Questions asked"] == expected["asked"] == 225
    assert figures["Share answered"] == pytest.approx(expected["answered"], abs=1e-9)
    assert figures["Share solved"] == pytest.approx(expected["solved"], abs=1e-9)
    # The tables round hours to 2 decimals; the unrounded figures must match to the millisecond.
    assert first["median"] == round(expected["median"], 2) and first["p90"] == round(expected["p90"], 2)
    filters = await read_filters(
        world.actor(world.admin),
        {"from": "2015-01-01", "to": "2015-03-31"},
        db.partner_tiers,
        date(2026, 1, 1),
    )
    exact = question_figures(await questions(filters)).first_answer
    assert exact.median is not None and exact.p90 is not None
    assert exact.median / 3600 == pytest.approx(expected["median"], abs=1e-6)
    assert exact.p90 / 3600 == pytest.approx(expected["p90"], abs=1e-6)
