"""The search page as a member uses it: the query language, highlighting, facets, pagination,
"did you mean", sorting, and what a viewer may not see never showing up."""

from __future__ import annotations

import re
from html import unescape

import pytest

from community.forum import threads
from community.search.queries import marked
from search_index.query import QUERY_HELP
from tests.search.conftest import Corpus
from tests.web.helpers import login_as as login

_HIT = re.compile(r'<li class="search-hit">.*?<h2 class="hit-title">(.*?)</h2>', re.S)
_LINK = re.compile(r'<a href="/t/(\d+)[^"]*">')


def hit_threads(html: str) -> list[int]:
    """Thread ids of the results, in page order."""
    return [int(_LINK.search(title).group(1)) for title in _HIT.findall(html)]  # type: ignore[union-attr]


def result_count(html: str) -> int:
    match = re.search(r'<p class="meta" role="status">([\d,]+) results?', html)
    assert match, "no result count on the page"
    return int(match.group(1).replace(",", ""))


def after_form(html: str) -> str:
    """The page below the search form (the results, or the message)."""
    return html.split("</details>\n</form>", 1)[1]


def error_of(html: str) -> str | None:
    match = re.search(r'<div class="error-message" role="alert">\s*<p>(.*?)</p>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


async def search_page(client, q: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    response = await client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text[:300]
    return response.text


# --- the query language ------------------------------------------------------------------------

OPERATORS = [
    ("bricked router", ["firmware"]),
    ('"status LED"', ["firmware"]),
    ("rebate -gold", ["rebate"]),
    ("tag:rebates", ["rebate", "gold"]),
    ("category:gold-programme", ["gold"]),
    ("author:{colleague}", ["firmware"]),
    ("org:{silver_org}", ["training"]),
    ("is:solved", ["deal", "gold"]),
    ("is:unanswered", ["firmware", "rebate"]),
    ("is:article", []),
    ("after:2024-01-01 before:2024-07-01", ["firmware"]),
    ("before:2023-12-31", ["deal"]),
    ("-is:solved tag:rebates", ["rebate"]),
]


async def test_each_operator(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)  # a gold partner: sees general and gold-programme
    wrong = []
    for query, expected in OPERATORS:
        q = query.format(colleague=world.colleague.handle, silver_org=world.silver.slug)
        html = await search_page(client, q)
        want = {getattr(corpus, name).id for name in expected}
        got = (error_of(html), set(hit_threads(html)), result_count(html) if not error_of(html) else None)
        if got != (None, want, len(want)):
            wrong.append(f"{q!r}: got {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


async def test_words_rank_threads_having_all_of_them_first(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = await search_page(client, "rebate quarter hardware")
    assert hit_threads(html)[0] == corpus.gold.id
    assert set(hit_threads(html)) == {corpus.gold.id, corpus.rebate.id}


async def test_sorting_by_newest_and_by_votes(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    assert hit_threads(await search_page(client, "category:general", sort="votes"))[0] == corpus.firmware.id
    newest = hit_threads(await search_page(client, "category:general before:2025-01-01", sort="newest"))
    assert newest == [corpus.training.id, corpus.firmware.id, corpus.deal.id]
    html = await search_page(client, "rebate", sort="votes")
    assert '<option value="votes" selected>' in html
    assert 'href="/search?q=rebate&amp;sort=newest"' in html


# --- what a result shows -----------------------------------------------------------------------


async def test_results_show_kind_markers_and_highlighted_words(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = await search_page(client, "registration portal")
    assert hit_threads(html) == [corpus.deal.id]
    hit = _HIT.search(html).group(0)  # type: ignore[union-attr]
    assert '<span class="badge kind-post">Answer</span>' in hit
    assert '<span class="badge solved">Accepted answer</span>' in hit
    assert f'href="/t/{corpus.deal.id}#p{corpus.deal_answer.id}"' in hit
    assert "<mark>registration</mark>" in html and "<mark>portal</mark>" in html
    question = await search_page(client, "bricked")
    assert '<span class="badge kind-thread">Question</span>' in question
    assert "Firmware upgrade <mark>bricked</mark> the router" in question
    solved = await search_page(client, "multi-site customer")
    assert '<span class="badge solved">Solved</span>' in solved


async def test_a_script_in_a_post_comes_back_escaped_in_the_snippet(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = await search_page(client, "pwned")
    assert hit_threads(html) == [corpus.training.id]
    assert "&lt;script&gt;alert(&#39;<mark>pwned</mark>&#39;)&lt;/script&gt;" in html or (
        "&lt;script&gt;alert('<mark>pwned</mark>')&lt;/script&gt;" in html
    )
    assert "<script>alert" not in html


def test_only_mark_survives_in_snippets() -> None:
    """Even if the engine let a tag through, the page would show it as text."""
    assert str(marked('a <b onclick="x">b</b> <mark>c</mark> &amp; <script>d')) == (
        'a &lt;b onclick="x"&gt;b&lt;/b&gt; <mark>c</mark> &amp; &lt;script&gt;d'
    )


async def test_facets_add_and_remove_filters(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = await search_page(client, "rebate")
    facets = html.split('<aside class="facets"', 1)[1]
    # Categories by name (the query keeps their short name).
    assert (
        'href="/search?q=rebate+category%3Ageneral">General questions</a> <span class="count">1</span>'
        in facets
    )
    assert 'href="/search?q=rebate+category%3Agold-programme">Gold programme</a>' in facets
    assert 'href="/search?q=rebate+tag%3Arebates">rebates</a> <span class="count">2</span>' in facets
    narrowed = await search_page(client, "rebate category:general")
    assert hit_threads(narrowed) == [corpus.rebate.id]
    active = narrowed.split('<aside class="facets"', 1)[1]
    assert '<li class="active"><a href="/search?q=rebate" aria-current="true"' in active


async def test_pages_of_results(client, world, indexer) -> None:  # type: ignore[no-untyped-def]
    actor = world.actor(world.partner)
    for i in range(25):
        await threads.create_thread(
            actor, category="general", kind="question", title=f"Antenna alignment question {i}",
            body=f"Signal drops on mast {i}.",
        )  # fmt: skip
    await indexer.drain()
    await login(client, world.partner)
    first = await search_page(client, "antenna")
    assert result_count(first) == 25 and len(hit_threads(first)) == 20
    assert "page 1 of 2" in first
    assert 'href="/search?q=antenna&amp;page=2" rel="next"' in first
    second = await search_page(client, "antenna", page="2")
    assert len(hit_threads(second)) == 5
    assert not set(hit_threads(first)) & set(hit_threads(second))
    beyond = await search_page(client, "antenna", page="9")
    assert hit_threads(beyond) == [] and "past the last page" in beyond


async def test_did_you_mean(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    html = await search_page(client, "rebtae", sort="newest")
    assert 'Did you mean <a href="/search?q=rebate&amp;sort=newest">rebate</a>?' in html
    assert "Did you mean" not in await search_page(client, "rebate")


# --- the page around the results ---------------------------------------------------------------


async def test_help_lists_the_query_language_and_errors_open_it(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    empty = await search_page(client, "")
    assert '<details class="search-help" id="search-tips">' in empty
    for example, meaning in QUERY_HELP:
        assert f"<code>{example}</code>".replace('"', "&#34;") in empty
        assert meaning.replace('"', "&#34;") in empty
    assert "result" not in after_form(empty)  # nothing searched yet: no results section
    bad = await search_page(client, "after:someday")
    assert '<details class="search-help" id="search-tips" open>' in bad
    assert "after: needs a date like 2024-05-31" in (error_of(bad) or "")


async def test_every_page_has_the_search_box(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    for path in ("/", "/categories", "/ask", f"/t/{corpus.deal.id}", "/search?q=deal", "/account/profile"):
        html = (await client.get(path)).text
        header = html.split("</header>", 1)[0]
        form = '<form method="get" action="/search" class="site-search" role="search" aria-label="Site">'
        assert form in header, path
        assert '<label for="site-q" class="visually-hidden">' in header, path
    client.cookies.clear()
    assert (await client.get("/search?q=deal")).headers["location"].startswith("/login")


# --- what a viewer may not see -----------------------------------------------------------------

# Words of the hidden threads that the query below does not contain itself.
GOLD_TRACES = ("Gold rebate schedule", "Six percent", "gold-programme", "Gold programme", "third")
STAFF_TRACES = ("Internal escalation", "Escalate", "staff-room", "Staff room", "partner desk")


async def test_a_silver_partner_sees_no_trace_of_hidden_categories(client, world, corpus: Corpus) -> None:
    await login(client, world.silver_partner)
    html = await search_page(client, "rebate schedule quarter escalation hardware percent disputes")
    assert hit_threads(html) == [corpus.rebate.id] and result_count(html) == 1
    for trace in GOLD_TRACES + STAFF_TRACES:
        assert trace not in after_form(html), trace
    facets = html.split('<aside class="facets"', 1)[1]
    assert re.findall(r">([\w -]+)</a> <span", facets) == ["General questions", "rebates"]
    for q in ("category:gold-programme", "tag:gold", "tag:escalation", "is:solved quarter"):
        assert result_count(await search_page(client, q)) == 0, q
    # No suggestion may come from a word only hidden content has.
    for typo in ("quartr", "escalatoin"):
        assert "Did you mean" not in await search_page(client, typo), typo
    await login(client, world.partner)
    assert "Did you mean" in await search_page(client, "quartr")


async def test_staff_see_staff_content(client, world, corpus: Corpus) -> None:
    await login(client, world.expert)
    html = await search_page(client, "rebate")
    assert set(hit_threads(html)) == {corpus.rebate.id, corpus.gold.id, corpus.staff.id}


async def test_deleted_and_hidden_posts_never_appear(client, world, corpus: Corpus) -> None:
    for user in (world.colleague, world.silver_partner, world.moderator, world.admin):
        await login(client, user)
        for q in ("zanzibar", "quokka", "cheap licences"):
            html = await search_page(client, q)
            assert result_count(html) == 0 and "Zanzibar" not in html and "Quokka" not in html, (user, q)


# --- anything typed gives a page ---------------------------------------------------------------

MALFORMED = [
    '"unbalanced quote',
    'rebate "',
    '""',
    "-",
    "- - -",
    "tag:",
    "tag: is: -",
    "is:awesome",
    "after:2024-13-45",
    "before:yesterday",
    "after:2024-02-30",
    "category:",
    "author:@@@",
    "rebate\x00\x1b[31m\x07",
    "\u202erebate\u200b",
    "café ☕ 日本語 🙂",
    "((rebate)) OR AND NOT *",
    "rebate~2 title:x^3 [a TO z]",
    "<script>alert(1)</script>",
    "%00%ff",
    "the of and",
    "grinder " * 1300,  # about 10 KB
    "x" * 10_000,
]


async def test_malformed_queries_give_a_page_not_an_error(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    for q in MALFORMED:
        html = await search_page(client, q)
        assert "<script>alert(1)</script>" not in html
        if error := error_of(html):
            assert len(error) < 200, q


async def test_bad_dates_and_values_say_how_to_fix_them(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    assert "2024-05-31" in (error_of(await search_page(client, "before:yesterday")) or "")
    assert "is:solved" in (error_of(await search_page(client, "is:awesome")) or "")
    assert "tag:" in (error_of(await search_page(client, "tag:")) or "")


async def test_a_word_too_long_to_search_says_so(client, world, corpus: Corpus) -> None:
    # Before: one 3,000-character word said "Those are all very common words; add a more specific one."
    await login(client, world.partner)
    for q in ("x" * 3000, "how to " + "firmware" * 10):
        error = error_of(await search_page(client, q)) or ""
        assert error.endswith(
            "A word that long is not searched (words over 40 characters are ignored): "
            "search for a shorter one."
        ), q
    assert "very common words" in (error_of(await search_page(client, "how to")) or "")


@pytest.mark.parametrize(
    "params", [{"page": "abc"}, {"page": "-3"}, {"page": "99999999999999999999"}, {"sort": "bogus"}]
)
async def test_odd_parameters_are_read_kindly(client, world, corpus: Corpus, params: dict[str, str]) -> None:
    await login(client, world.partner)
    html = await search_page(client, "rebate", **params)
    assert error_of(html) is None


async def test_invalid_utf8_in_the_address(client, world, corpus: Corpus) -> None:
    await login(client, world.partner)
    response = await client.get("/search?q=%ED%A0%80%FF%FEreb")
    assert response.status_code == 200


async def test_search_pages_are_labelled_and_script_free(client, world, corpus: Corpus) -> None:
    from tests.web.test_page_markup import FormAudit

    await login(client, world.partner)
    for path in ("/search", "/search?q=rebate", "/search?q=after:someday", "/ask", f"/t/{corpus.deal.id}"):
        audit = FormAudit()
        audit.feed((await client.get(path)).text)
        assert audit.problems() == [], path
