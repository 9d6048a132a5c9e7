"""Results name things as people know them: the category's name and the author's name (the index
keeps slugs and handles). Similar-question lists name each thread once."""

from __future__ import annotations

from community.search import queries
from search_index.documents import SearchHit
from tests.search.conftest import Corpus
from tests.web.helpers import login_as as login


async def test_results_show_category_and_author_names(client, world, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    await login(client, world.partner)
    page = (await client.get("/search", params={"q": "firmware router"})).text
    meta = page.split('<ol class="search-results">', 1)[1].split("</ol>", 1)[0]
    assert '<a href="/c/general">General questions</a>' in meta
    assert f'<a href="/u/{world.colleague.handle}">Cole League</a>' in meta
    assert f"@{world.colleague.handle}" not in meta and ">general<" not in meta


def _hit(
    kind: str, thread_id: int | None, article_id: int | None = None, post_id: int | None = None
) -> SearchHit:
    return SearchHit(
        kind=kind, doc_id=f"{kind}:{thread_id}:{post_id}", thread_id=thread_id, post_id=post_id,
        article_id=article_id, title=f"{kind} {thread_id}",
        snippet="", url=f"/t/{thread_id}", score=1.0,
    )  # fmt: skip


def test_similar_lists_name_each_thread_and_article_once() -> None:
    hits = [
        _hit("thread", 1), _hit("post", 1, post_id=7), _hit("thread", 2), _hit("article", 1, article_id=3),
        _hit("article", 1, article_id=3), _hit("thread", 2),
    ]  # fmt: skip
    assert [(h.kind, h.thread_id, h.article_id) for h in queries.distinct(hits)] == [
        ("thread", 1, None), ("thread", 2, None), ("article", 1, 3),
    ]  # fmt: skip
