"""Imported content becomes searchable: the importer writes one outbox row per thread it creates
or extends, in the same transaction as the rows themselves."""

from __future__ import annotations

from pathlib import Path

from community.forum import importer
from community.models import IndexOutbox
from community.search import queries

QUESTION = (
    '  <row Id="{id}" PostTypeId="1" {accepted}CreationDate="2015-01-27T20:09:32.720" Score="3" '
    'Body="&lt;p&gt;{body}&lt;/p&gt;" OwnerUserId="4" Title="{title}" Tags="&lt;grinding&gt;" />\n'
)
ANSWER = (
    '  <row Id="{id}" PostTypeId="2" ParentId="{parent}" CreationDate="2015-01-28T21:00:00.000" Score="5" '
    'Body="&lt;p&gt;{body}&lt;/p&gt;" OwnerUserId="5" />\n'
)


def dump(path: Path, *rows: str) -> Path:
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + "".join(rows) + "</posts>\n")
    return path


async def test_imported_threads_become_searchable(world, indexer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = dump(
        tmp_path / "coffee-Posts.xml",
        QUESTION.format(
            id=1, accepted='AcceptedAnswerId="2" ', body="How fine?", title="How fine should I grind?"
        ),
        ANSWER.format(id=2, parent=1, body="Like coarse sand for a moka pot."),
        QUESTION.format(id=3, accepted="", body="Burr or blade?", title="Which grinder for espresso?"),
    )
    report = await importer.import_stackexchange(world.settings, first, category_slug="coffee")
    assert report.threads == 2
    assert await IndexOutbox.all().count() == 2  # one row per thread, answers included
    await indexer.drain()
    actor = world.actor(world.silver_partner)
    found = await queries.search(indexer.index, actor, "moka")
    assert [(hit.kind, hit.accepted) for hit in found.results] == [("post", True)]
    assert (await queries.search(indexer.index, actor, "tag:grinding")).total == 2

    # A later dump adds an answer to a thread imported before: that thread is indexed again.
    later = dump(
        tmp_path / "coffee-Posts.xml",
        QUESTION.format(
            id=1, accepted='AcceptedAnswerId="2" ', body="How fine?", title="How fine should I grind?"
        ),
        ANSWER.format(id=2, parent=1, body="Like coarse sand for a moka pot."),
        QUESTION.format(id=3, accepted="", body="Burr or blade?", title="Which grinder for espresso?"),
        ANSWER.format(id=4, parent=3, body="A conical burr grinder, never a blade."),
    )
    again = await importer.import_stackexchange(world.settings, later, category_slug="coffee")
    assert (again.threads, again.answers) == (0, 1)
    assert await IndexOutbox.all().count() == 1
    await indexer.drain()
    assert (await queries.search(indexer.index, actor, "conical")).total == 1
    assert (await queries.search(indexer.index, actor, "is:unanswered")).total == 0

    # Nothing new: nothing to index.
    await importer.import_stackexchange(world.settings, later, category_slug="coffee")
    assert await IndexOutbox.all().count() == 0
