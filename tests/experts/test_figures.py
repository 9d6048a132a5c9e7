"""An expert's figures (answers, accepted answers, median time to their first answer), worked out
by hand, and counted as the viewer may see the questions: another organisation's private question
and a category the viewer may not enter are left out of the numbers, not only of the lists.

Erin answers: Q1 (gold partner Pat, general) at 2 h and again at 3 h, accepted; Q2 (silver Sam,
general) at 6 h; Q3 (Pat, gold programme) at 10 h, accepted; Q4 (Sam, general, private) at 1 h; a
reply in a discussion and her own question's follow-up do not count.

- Staff: 5 answers, 2 accepted, times 1, 2, 6, 10: median 4.0 h.
- Cole (Pat's colleague, gold): Q1-Q3: 4 answers, 2 accepted, times 2, 6, 10: median 6.0 h.
- Sam (silver: no gold programme; Q4 is his organisation's): Q1, Q2, Q4: 4 answers, 1 accepted,
  times 1, 2, 6: median 2.0 h.
- Rae (registered: no gold programme, not Sam's organisation): Q1, Q2: 3 answers, 1 accepted,
  times 2, 6: median 4.0 h.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from community.experts import profiles
from community.forum import posts, threads
from tests.api.conftest import bearer
from tests.conftest import World, login

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def answered(world: World) -> None:
    pat, sam, erin = (world.actor(u) for u in (world.partner, world.silver_partner, world.expert))

    async def ask(who, title: str, category: str = "general", **kw):  # type: ignore[no-untyped-def]
        return await threads.create_thread(
            who, category=category, kind="question", title=title, body="The details.", created_at=T0, **kw
        )

    async def answer(thread, hours: float) -> int:  # type: ignore[no-untyped-def]
        when = T0 + timedelta(hours=hours)
        return (await posts.reply(erin, thread.id, body="Here is how.", created_at=when)).id

    q1 = await ask(pat, "Renewal dates for the gold contract")
    await posts.accept_answer(pat, await answer(q1, 2))
    await answer(q1, 3)
    await answer(await ask(sam, "Licence keys for a second site"), 6)
    q3 = await ask(pat, "Gold programme marketing funds", category="gold-programme")
    await posts.accept_answer(pat, await answer(q3, 10))
    await answer(await ask(sam, "Our customer's special price", private=True), 1)
    talk = await threads.create_thread(
        pat, category="general", kind="discussion", title="Trade fair stands this spring", body="Who goes?"
    )
    await posts.reply(erin, talk.id, body="We will be there.")
    own = await threads.create_thread(
        erin, category="general", kind="question", title="Which demo units do partners want?", body="Tell us."
    )
    await posts.reply(erin, own.id, body="Asking for the spring fairs.")


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("admin", (5, 2, 4.0)),
        ("colleague", (4, 2, 6.0)),
        ("silver_partner", (4, 1, 2.0)),
        ("registered_partner", (3, 1, 4.0)),
    ],
)
async def test_figures_count_what_the_viewer_may_see(
    world: World, answered: None, viewer: str, expected: tuple[int, int, float]
) -> None:
    entry = await profiles.get_directory_entry(world.actor(getattr(world, viewer)), world.expert.handle)
    f = entry.figures
    assert (f.answers, f.accepted, f.median_first_answer_hours) == expected


async def test_the_directory_and_the_expert_page_show_the_figures(
    client: httpx.AsyncClient, world: World, answered: None
) -> None:
    await login(client, world.silver_partner)
    for url in ("/experts", f"/experts/{world.expert.handle}"):
        page = (await client.get(url)).text
        figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
        assert figures["Answers"] == "4" and figures["Accepted answers"] == "1", url
        assert figures["Median time to first answer"] == "2.0 h", url
    got = (
        await client.get(f"/api/v1/experts/{world.expert.handle}", headers=await bearer(world.silver_partner))
    ).json()
    assert got["figures"] == {"answers": 4, "accepted_answers": 1, "median_first_answer_hours": 2.0}
