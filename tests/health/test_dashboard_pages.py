"""The dashboard's page, CSV exports, charts and the threads behind a figure, over HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
import statistics

import httpx

from community.forum import posts, threads
from community.health.charts import Series, chart, nice_max
from community.health.dashboard import Column, Table
from community.health.export import table_csv
from community.health.stats import quantile
from community.kb import articles, reading
from community.models import ArticleViewDay
from community.timeutil import utcnow
from tests.api.conftest import bearer
from tests.conftest import World, login
from tests.health.fixture import PARAMS, build


async def test_page_exports_and_lists(client: httpx.AsyncClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    made = await build(world, app.state.moderation)
    await login(client, world.admin)
    page = await client.get("/health", params=PARAMS)
    assert page.status_code == 200
    assert page.text.count("<svg") == 4 and 'role="img"' in page.text
    assert "/health/export.csv?" in page.text and "/health/threads?" in page.text
    assert "Questions overdue now" in page.text and "figure=overdue" in page.text
    assert '<option value="gold">Gold</option>' in page.text  # names as people write them (trial)
    exported = await client.get("/health/export.csv", params={**PARAMS, "table": "organisations"})
    assert exported.headers["content-type"].startswith("text/csv")
    # UTF-8 with a byte-order mark, so that Excel on Windows shows "Tomás", not "TomÃ¡s" (trial).
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Organisation" and {r[0] for r in rows[1:]} == {
        "Gold Reseller GmbH", "Silver Systems Ltd", "Registered IT",
    }  # fmt: skip
    listed = await client.get("/health/threads", params={**PARAMS, "figure": "unanswered"})
    assert (
        listed.status_code == 200
        and f"/t/{made.q4.id}" in listed.text
        and f"/t/{made.q1.id}" not in listed.text
    )
    bad = await client.get("/health", params={"from": "2026-02-30"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert (await client.get("/health", params={"from": "2026-02-01", "to": "2026-01-01"})).status_code == 422
    assert (await client.get("/health/export.csv", params={"table": "secrets"})).status_code == 422
    assert (await client.get("/health/threads", params={"figure": "everything"})).status_code == 422
    api = await client.get("/api/v1/health-dashboard", params=PARAMS, headers=await bearer(world.admin))
    body = api.json()
    assert api.status_code == 200 and body["filters"]["from"] == PARAMS["from"]
    summary = {r["figure"]: r["value"] for r in body["tables"]["summary"]["rows"]}
    assert summary["Questions asked"] == 5
    client.cookies.clear()
    await login(client, world.colleague)
    assert (await client.get("/health")).status_code == 403
    assert (
        await client.get("/api/v1/health-dashboard", headers=await bearer(world.colleague))
    ).status_code == 403


def test_csv_quotes_what_a_spreadsheet_would_run() -> None:
    columns = [Column("name", "Name", "text"), Column("n", "N"), Column("gap", "Gap", "pct")]
    rows = [{"name": "=HYPERLINK(1)", "n": -3, "gap": -12.5}, {"name": "@x", "n": 2, "gap": None}]
    table = Table("t", "T", columns, rows)
    assert list(csv.reader(io.StringIO(table_csv(table)))) == [
        ["Name", "N", "Gap"],
        ["'=HYPERLINK(1)", "-3", "-12.50"],
        ["'@x", "2", ""],
    ]


def test_quantiles_match_the_standard_library() -> None:
    rng = random.Random(7)
    for n in (1, 2, 3, 10, 101):
        values = [rng.expovariate(1 / 3600) for _ in range(n)]
        assert quantile(values, 0.5) == statistics.median(values)
        if n > 1:
            p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
            assert abs(quantile(values, 0.9) - p90) < 1e-6  # type: ignore[operator]
    assert quantile([], 0.5) is None


def test_charts_are_escaped_svg_with_round_axes() -> None:
    assert [nice_max(v) for v in (0, 3, 5, 30, 99)] == [1.0, 4.0, 8.0, 40.0, 100.0]
    svg = chart("c1", "<Title>", ["<w1>", "w2"], [Series("a&b", [1.0, None])], unit="%")
    assert svg.startswith('<svg class="chart"') and "&lt;Title&gt;" in svg and "<Title>" not in svg
    assert "&lt;w1&gt;" in svg and "a&amp;b" in svg


async def test_article_reads_are_counted_per_day(world: World) -> None:
    erin, pat = world.actor(world.expert), world.actor(world.partner)
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="How do I read the article counts?", body="Per day."
    )
    answer = await posts.reply(erin, thread.id, body="Every read counts once, on its day.")
    article = await articles.promote_answer(erin, answer.id)
    await asyncio.gather(*(reading.get_article(pat, article.id, count_view=True) for _ in range(3)))
    days = await ArticleViewDay.filter(article_id=article.id).values_list("day", "views")
    assert days == [(utcnow().date(), 3)]


async def test_the_threads_behind_a_figure_over_json(client: httpx.AsyncClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    made = await build(world, app.state.moderation)
    admin = await bearer(world.admin)
    got = await client.get(
        "/api/v1/health-dashboard/threads", params={**PARAMS, "figure": "solved_by_expert"}, headers=admin
    )
    body = got.json()
    assert got.status_code == 200 and body["figure"] == "solved_by_expert" and body["total"] == 2
    assert sorted(t["id"] for t in body["items"]) == sorted([made.q1.id, made.q2.id])
    answered = await client.get(
        "/api/v1/health-dashboard/threads",
        params={**PARAMS, "figure": "answers_by", "member": world.expert.handle}, headers=admin,
    )  # fmt: skip
    assert answered.json()["title"] == "Questions Erin Expert answered in the period"
    org_admin = await bearer(world.partner)
    mine = (await client.get("/api/v1/health-dashboard/threads", params=PARAMS, headers=org_admin)).json()
    assert sorted(t["id"] for t in mine["items"]) == sorted([made.q1.id, made.q5.id])
    refused = await client.get(
        "/api/v1/health-dashboard/threads", params={**PARAMS, "figure": "flagged"}, headers=org_admin
    )
    assert refused.status_code == 422 and "figure" in refused.json()["error"]["fields"]


async def test_an_organisation_admin_asking_for_another_organisation_reads_why(
    client: httpx.AsyncClient, world: World
) -> None:
    """The trial: Hannah with ?organisation=harbourline-it read "Please correct the highlighted
    field." with nothing highlighted (her form has no organisation field), and From/To emptied."""
    await login(client, world.partner)
    for slug in (world.silver.slug, "no-such-organisation"):  # alike: nothing learnt about either
        page = await client.get("/health", params={"from": "2026-01-05", "organisation": slug})
        assert page.status_code == 422
        assert "You can see only your organisation&#39;s figures." in page.text
        assert "highlighted field" not in page.text
        assert 'name="from" type="date" value="2026-01-05"' in page.text
        assert 'name="to" type="date" value="20' in page.text
    # Staff, who have the field, still have it highlighted.
    client.cookies.clear()
    await login(client, world.admin)
    page = await client.get("/health", params={"organisation": "no-such-organisation"})
    assert page.status_code == 422 and "Please correct the highlighted field." in page.text
    assert 'id="organisation-error"' in page.text


async def test_the_rated_list_shows_each_questions_scores(
    client: httpx.AsyncClient, world: World, app
) -> None:  # type: ignore[no-untyped-def]
    made = await build(world, app.state.moderation)
    await login(client, world.admin)
    page = (await client.get("/health/threads", params={**PARAMS, "figure": "rated"})).text
    assert "Asker&#39;s rating: 2 of 5 · experts&#39; ratings: 4 of 5" in page
    assert "Asker&#39;s rating: 5 of 5</p>" in page
    assert f"/t/{made.q2.id}" in page
    api = await client.get(
        "/api/v1/health-dashboard/threads",
        params={**PARAMS, "figure": "rated"},
        headers=await bearer(world.admin),
    )
    assert {"thread_id": made.q2.id, "asker": [2], "experts": [4]} in api.json()["scores"]


def test_count_charts_step_by_whole_numbers() -> None:
    """The trial: the questions-per-week chart had ticks at 2.5 and 7.5 questions."""
    assert [nice_max(v, whole=True) for v in (0, 1, 3, 5, 9, 10, 30, 99)] == [4, 4, 4, 8, 12, 12, 40, 100]
    svg = chart("c2", "Asked", ["w1", "w2"], [Series("Asked", [9.0, 3.0])], bars=True, whole=True)
    ticks = re.findall(r'text-anchor="end">([^<]*)<', svg)
    assert ticks == ["0", "3", "6", "9", "12"]


async def test_charts_over_years_name_the_year(client: httpx.AsyncClient, world: World) -> None:
    """The trial: 2025-01-01 to 2026-12-06 read "30 Dec, 26 May, 20 Oct" under the charts."""
    await login(client, world.admin)
    page = (await client.get("/health", params={"from": "2025-01-01", "to": "2026-12-06"})).text
    axis = re.findall(
        r'text-anchor="middle">([^<]*)<', page.split('id="chart-asked"', 1)[1].split("</svg>", 1)[0]
    )
    assert axis and all(re.fullmatch(r"[A-Z][a-z]{2} 20\d\d", label) for label in axis), axis
    assert "<title>30 Dec 2024: 0</title>" in page  # the tooltip: the day and its year
    short = (await client.get("/health", params={"from": "2026-01-05", "to": "2026-02-01"})).text
    assert ">05 Jan<" in short
