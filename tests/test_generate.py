"""`community generate --posts N`: a synthetic community whose counters agree with its rows, that
the product reads like any other (pages, search), written again on top without collisions."""

from __future__ import annotations

from pathlib import Path

from tortoise.functions import Count, Sum

from community.actor import Actor
from community.forum import thread_page
from community.models import Article, Flag, Post, ReviewItem, Thread, User, Vote
from community.settings import Settings
from tests.test_cli import Community, community  # noqa: F401 (the fixture)

COFFEE = Path(__file__).resolve().parents[2] / "shared" / "data" / "coffee-Posts.xml"


def _facts(demo: Community) -> dict[str, object]:
    async def go(settings: Settings) -> dict[str, object]:
        threads = (
            await Thread.all().annotate(n=Count("posts")).values("id", "n", "reply_count", "accepted_post_id")
        )
        accepted = {t["accepted_post_id"]: t["id"] for t in threads if t["accepted_post_id"]}
        answers = await Post.filter(id__in=list(accepted), is_opening=False).values_list("id", "thread_id")
        accepted_ok = len(answers) == len(accepted) and all(accepted[p] == t for p, t in answers)
        scores = await Post.all().annotate(v=Count("votes")).values("score", "v")
        post_counts = await User.all().annotate(total=Sum("post_count")).values_list("post_count", flat=True)
        return {
            "posts": await Post.all().count(),
            "replies_agree": all(t["n"] == t["reply_count"] + 1 for t in threads),
            "accepted_ok": accepted_ok,
            "scores_agree": all(s["score"] == s["v"] for s in scores),
            "post_counts": sum(post_counts),
            "votes": await Vote.all().count(),
            "flags": await Flag.all().count(),
            "queue": await ReviewItem.all().count(),
            "articles": await Article.all().count(),
            "first_thread": threads[0]["id"],
        }

    return demo.query(go)


def test_generate_writes_a_consistent_community_the_product_reads(community: Community) -> None:  # noqa: F811
    assert community("migrate").code == 0
    made = community("generate", "--posts", "3000", "--from", str(COFFEE))
    assert made.code == 0, made.err
    assert "3,000 Post" in made.out and "posts/s" in made.out
    facts = _facts(community)
    assert facts["posts"] == 3000 and facts["post_counts"] == 3000
    assert facts["replies_agree"] and facts["accepted_ok"] and facts["scores_agree"]
    assert facts["votes"] > 500 and facts["flags"] > 0 and facts["articles"] > 0

    again = community("generate", "--posts", "500", "--seed", "2", "--from", str(COFFEE))
    assert again.code == 0, again.err
    assert _facts(community)["posts"] == 3500
    assert community("reindex").code == 0
    assert community("search-check").code == 0

    async def read_threads(settings: Settings) -> bool:
        """The thread page as an expert reads it: the question and every answer on the page."""
        expert = await User.filter(role="expert").select_related("organisation").first()
        assert expert is not None
        for thread in await Thread.all().limit(20):
            view = await thread_page.get_thread_view(Actor.from_user(expert), thread.id, 1, 100)
            if view.question.body_html == "" or len(view.posts) != thread.reply_count:
                return False
        return True

    assert community.query(read_threads)


def test_generate_refuses_bad_arguments_with_exit_code_2(community: Community, tmp_path: Path) -> None:  # noqa: F811
    assert community("migrate").code == 0
    zero = community("generate", "--posts", "0", "--from", str(COFFEE))
    assert zero.code == 2 and "--posts" in zero.err
    missing = community("generate", "--posts", "10", "--from", str(tmp_path / "nothing.xml"))
    assert missing.code == 2 and "no Posts.xml" in missing.err
    not_posts = tmp_path / "other.xml"
    not_posts.write_text("<users><row Id='1'/></users>")
    wrong = community("generate", "--posts", "10", "--from", str(not_posts))
    assert wrong.code == 2
