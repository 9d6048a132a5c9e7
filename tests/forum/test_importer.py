"""Importing a Stack Exchange Posts.xml: the real coffee dump checked against the file itself, and
small hand-written files for the edge cases."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise.functions import Sum

from community.actor import Actor
from community.errors import Invalid, NotFound
from community.forum import thread_page
from community.forum.importer import import_stackexchange
from community.forum.stackexchange import normalise_tags
from community.models import Category, Organisation, OrgKind, Post, PostRevision, Thread, ThreadTag, User
from community.settings import Settings
from tests.conftest import SHARED_DATA

COFFEE = SHARED_DATA / "coffee-Posts.xml"


def _date(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _tags(raw: str) -> list[str]:
    return re.findall(r"<([^<>]+)>", raw)


async def _actor(user_id: int) -> Actor:
    return Actor.from_user(await User.get(id=user_id).select_related("organisation"))


@pytest.mark.skipif(not COFFEE.exists(), reason="needs ../shared/data/coffee-Posts.xml")
async def test_coffee_dump_matches_the_file_and_imports_once(db: Settings) -> None:
    rows = [r.attrib for r in ET.parse(COFFEE).getroot()]
    questions = {r["Id"]: r for r in rows if r["PostTypeId"] == "1"}
    answers = {r["Id"]: r for r in rows if r["PostTypeId"] == "2"}
    accepted = {q["AcceptedAnswerId"] for q in questions.values() if q.get("AcceptedAnswerId")}
    assert (len(questions), len(answers), len(accepted)) == (225, 327, 105)

    report = await import_stackexchange(db, COFFEE, category_slug="coffee")

    assert (report.threads, report.answers, report.accepted) == (225, 327, 105)
    assert report.users_created == len({r["OwnerUserId"] for r in [*questions.values(), *answers.values()]})
    assert report.category_created
    category = await Category.get(slug="coffee")
    assert category.visibility == "all"
    assert await Thread.filter(category_id=category.id, kind="question").count() == 225
    assert await Post.filter(is_opening=False).count() == 327
    assert await Thread.filter(accepted_post_id__isnull=False).count() == 105
    assert await PostRevision.all().count() == 225 + 327

    # A few threads, field by field, against the file.
    for qid in ("1", "5", "14"):
        q = questions[qid]
        thread = await Thread.get(source_ref=f"se:coffee:{qid}")
        its_answers = [a for a in answers.values() if a["ParentId"] == qid]
        assert thread.title == q["Title"]
        assert thread.tag_names == _tags(q["Tags"])
        assert thread.created_at == _date(q["CreationDate"])
        assert thread.score == int(q["Score"])
        assert thread.reply_count == len(its_answers)
        assert thread.last_activity_at == max(_date(r["CreationDate"]) for r in [q, *its_answers])
        accepted_post = await Post.get(id=thread.accepted_post_id)
        assert accepted_post.source_ref == f"se:coffee:{q['AcceptedAnswerId']}"
        assert accepted_post.score == int(answers[q["AcceptedAnswerId"]]["Score"])
        assert accepted_post.created_at == _date(answers[q["AcceptedAnswerId"]]["CreationDate"])
        opening = await Post.get(thread_id=thread.id, is_opening=True)
        assert opening.body_source == q["Body"]
        assert sorted(
            await ThreadTag.filter(thread_id=thread.id).values_list("tag__name", flat=True)
        ) == sorted(_tags(q["Tags"]))

    # Bodies are sanitised like any post; old http image links from imgur are kept over https.
    post = await Post.get(source_ref="se:coffee:8")
    assert 'src="https://i.stack.imgur.com/' in post.body_html
    assert 'rel="nofollow ugc noopener"' in (await Post.get(source_ref="se:coffee:17")).body_html

    # Authors: partners of the "Imported" organisation, no password, counters that add up.
    org = await Organisation.get(kind=OrgKind.IMPORTED)
    assert org.name == "Imported" and org.tier == db.partner_tiers[0]
    authors = User.filter(organisation_id=org.id)
    assert await authors.filter(password_hash__isnull=False).count() == 0
    assert await authors.filter(role="partner").count() == report.users_created
    totals = await User.all().annotate(p=Sum("post_count"), a=Sum("accepted_count")).first().values("p", "a")
    assert (totals["p"], totals["a"]) == (225 + 327, 105)
    asker = await User.get(email="se-coffee-u4@imported.invalid")
    assert asker.display_name == "user4"

    # What a reader sees: the accepted answer first.
    thread = await Thread.get(source_ref="se:coffee:1")
    view = await thread_page.get_thread_view(await _actor(asker.id), thread.id)
    assert view.posts[0].is_accepted and view.posts[0].id == thread.accepted_post_id

    again = await import_stackexchange(db, COFFEE, category_slug="coffee")
    assert (again.threads, again.answers, again.accepted, again.users_created) == (0, 0, 0, 0)
    assert again.already_imported == 225 + 327
    assert await Post.all().count() == 225 + 327
    assert await User.filter(organisation_id=org.id).count() == report.users_created


def _write(path: Path, *rows: str) -> Path:
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + "\n".join(rows) + "\n</posts>\n")
    return path


def _q(pid: int, title: str, *, owner: str = 'OwnerUserId="7"', tags: str = "", extra: str = "") -> str:
    return (
        f'<row Id="{pid}" PostTypeId="1" CreationDate="2016-03-0{pid % 9 + 1}T10:00:00.000" Score="1" '
        f'Body="&lt;p&gt;Question {pid}&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;" {owner} '
        f'Title="{title}" Tags="{tags}" {extra}/>'
    )


def _a(pid: int, parent: int, *, owner: str = 'OwnerUserId="8"', day: int = 5) -> str:
    return (
        f'<row Id="{pid}" PostTypeId="2" ParentId="{parent}" CreationDate="2016-04-{day:02d}T10:00:00.000" '
        f'Score="2" Body="&lt;p&gt;Answer {pid}&lt;/p&gt;" {owner} />'
    )


async def test_authors_tags_and_odd_rows(db: Settings, tmp_path: Path) -> None:
    await User.create(
        email="someone@example.com", handle="user7", display_name="A local user7",
        organisation=await Organisation.create(name="Local", slug="local", tier="gold"),
    )  # fmt: skip
    path = _write(
        tmp_path / "tea-Posts.xml",
        _q(
            1,
            "Which kettle?",
            tags="&lt;kettle&gt;&lt;bad/tag&gt;&lt;Green Tea&gt;&lt;a&gt;&lt;b&gt;&lt;c&gt;&lt;d&gt;",
        ),
        _q(2, "Who wrote this question, anyway?", owner='OwnerDisplayName="Tea Lover"'),
        _q(3, "Nobody knows who asked this", owner=""),
        '<row Id="4" PostTypeId="5" CreationDate="2016-03-01T10:00:00.000" Score="0" Body="wiki" />',
        _a(5, 1),
        _a(6, 99),
        _a(7, 3, owner=""),
    )
    report = await import_stackexchange(db, path, category_slug="tea", category_name="Tea time")

    assert (report.threads, report.answers, report.accepted) == (3, 2, 0)
    assert report.skipped == 2  # the tag wiki and the answer to a question not in the file
    assert (await Category.get(slug="tea")).name == "Tea time"
    first = await Thread.get(source_ref="se:tea:1")
    assert first.tag_names == ["kettle", "green-tea", "a", "b", "c"]  # "bad/tag" does not fit; at most 5
    names = set(await User.filter(email__endswith="@imported.invalid").values_list("display_name", flat=True))
    assert names == {"user7", "user8", "Tea Lover", "Anonymous"}
    imported_user7 = await User.get(email="se-tea-u7@imported.invalid")
    assert imported_user7.handle == "user7-2"  # "user7" was taken by a local account
    opening = await Post.get(source_ref="se:tea:1")
    assert "<script" not in opening.body_html and "<script" in opening.body_source


def test_tags_in_either_dump_format() -> None:
    # Dumps until 2023 write "<a><b>", later ones "|a|b|": a question's tags must survive both
    # (they weigh in search ranking).
    assert normalise_tags("<bgp><firmware-upgrade>") == ["bgp", "firmware-upgrade"]
    assert normalise_tags("|bgp|firmware-upgrade|") == ["bgp", "firmware-upgrade"]
    assert normalise_tags("|bad/tag|Green Tea|") == ["green-tea"]
    assert normalise_tags("") == normalise_tags("||") == []


async def test_a_later_dump_adds_only_the_new_answers(db: Settings, tmp_path: Path) -> None:
    early = _write(tmp_path / "tea-Posts.xml", _q(1, "Which kettle for green tea?"), _a(2, 1, day=5))
    await import_stackexchange(db, early, category_slug="tea")
    thread = await Thread.get(source_ref="se:tea:1")
    assert thread.accepted_post_id is None and thread.reply_count == 1

    later = _write(
        tmp_path / "tea-Posts.xml",
        _q(1, "Which kettle for green tea?", extra='AcceptedAnswerId="3" '),
        _a(2, 1, day=5),
        _a(3, 1, day=9),
    )
    report = await import_stackexchange(db, later, category_slug="tea")

    assert (report.threads, report.answers, report.accepted, report.already_imported) == (0, 1, 1, 2)
    await thread.refresh_from_db()
    newest = await Post.get(source_ref="se:tea:3")
    assert thread.reply_count == 2 and thread.accepted_post_id == newest.id
    assert thread.last_activity_at == datetime(2016, 4, 9, 10, tzinfo=UTC)
    assert (await User.get(id=newest.author_id)).accepted_count == 1


async def test_unreadable_files_give_a_clear_error_and_change_nothing(db: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken-Posts.xml"
    broken.write_text('<posts><row Id="1" PostTypeId="1" Title="unfinished')
    with pytest.raises(Invalid) as exc:
        await import_stackexchange(db, broken, category_slug="coffee")
    assert "not well-formed XML" in exc.value.fields["file"]

    other = tmp_path / "Users.xml"
    other.write_text('<users><row Id="1" /></users>')
    with pytest.raises(Invalid) as exc:
        await import_stackexchange(db, other, category_slug="coffee")
    assert "not a Stack Exchange Posts.xml" in exc.value.fields["file"]

    with pytest.raises(NotFound):
        await import_stackexchange(db, tmp_path / "missing.xml", category_slug="coffee")
    with pytest.raises(Invalid):
        await import_stackexchange(db, other, category_slug="Not a slug!")
    assert not await Category.filter(slug="coffee").exists()
