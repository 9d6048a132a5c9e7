"""What the load script verifies after the run: every acknowledged write is in the database (once),
searchable within a second of the indexer's backlog emptying, and delivered live to every listener
that may see it, with none lost or duplicated. Each check returns its failures as sentences.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import asyncpg
import httpx

from tests.load.people import MARKER_PREFIX, Acks


async def database(url: str, acks: Acks) -> tuple[list[str], dict[str, str]]:
    """Failures, and each acknowledged post's state (``visible``, ``hidden``...) for the others."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        return await _database(conn, acks)
    finally:
        await conn.close()


async def _database(conn: asyncpg.Connection, acks: Acks) -> tuple[list[str], dict[str, str]]:
    failures = []
    post_ids = [a["post_id"] for a in acks.asks + acks.answers]
    rows = await conn.fetch("SELECT id, thread_id, state FROM post WHERE id = ANY($1::int[])", post_ids)
    found = {r["id"]: r for r in rows}
    states = {str(r["id"]): r["state"] for r in rows}
    missing = [p for p in post_ids if p not in found]
    wrong = [
        a["post_id"]
        for a in acks.asks + acks.answers
        if a["post_id"] in found and found[a["post_id"]]["thread_id"] != a["thread_id"]
    ]
    if missing:
        failures.append(f"{len(missing)} acknowledged posts are not in the database (e.g. {missing[:5]})")
    if wrong:
        failures.append(f"{len(wrong)} acknowledged posts are in another thread (e.g. {wrong[:5]})")
    failures += await _pairs(conn, "vote", "user_id", acks.votes, "votes")
    failures += await _pairs(conn, "flag", "flagger_id", acks.flags, "flags")
    doubled = await conn.fetch(
        f"SELECT substring(body_source from '{MARKER_PREFIX}[a-z]{{10}}') AS m, count(*) AS n FROM post "
        f"WHERE body_source LIKE '%{MARKER_PREFIX}%' GROUP BY m HAVING count(*) > 1"
    )
    if doubled:
        failures.append(
            f"{len(doubled)} writes were saved more than once (retries with the same key): "
            f"{[(r['m'], r['n']) for r in doubled[:5]]}"
        )
    return failures, states


async def _pairs(
    conn: asyncpg.Connection, table: str, who: str, pairs: list[tuple[int, int]], label: str
) -> list[str]:
    if not pairs:
        return []
    rows = await conn.fetch(
        f"SELECT DISTINCT post_id, {who} FROM {table} WHERE post_id = ANY($1::int[])",
        list({p for p, _ in pairs}),
    )
    have = {(r[0], r[1]) for r in rows}
    missing = [p for p in set(pairs) if p not in have]
    return (
        [f"{len(missing)} acknowledged {label} are not in the database (e.g. {missing[:5]})"]
        if missing
        else []
    )


async def last_event_id(url: str) -> int:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        return int(await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM live_event"))
    finally:
        await conn.close()


async def search(base: str, token: str, acks: Acks, states: dict[str, str]) -> tuple[list[str], int]:
    """Every acknowledged visible post found by its marker word (a staff token: it sees everything)."""
    wanted = [a for a in acks.asks + acks.answers if states.get(str(a["post_id"])) == "visible"]
    gate = asyncio.Semaphore(8)
    absent: list[dict[str, Any]] = []
    errors: collections.Counter[str] = collections.Counter()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:

        async def one(write: dict[str, Any]) -> None:
            async with gate:
                response = await client.get(f"{base}/api/v1/search", params={"q": write["marker"]})
            if response.status_code != 200:
                errors[str(response.status_code)] += 1
            elif not _found(response.json(), write):
                absent.append(write)

        await asyncio.gather(*(one(w) for w in wanted))
    failures = []
    if absent:
        failures.append(
            f"{len(absent)} of {len(wanted)} acknowledged posts are not in search "
            f"(e.g. {[(a['post_id'], a['marker']) for a in absent[:5]]})"
        )
    if errors:
        failures.append(f"search answered {dict(errors)} while checking")
    return failures, len(wanted)


def _found(body: dict[str, Any], write: dict[str, Any]) -> bool:
    for result in body.get("results", ()):
        if result.get("post_id") == write["post_id"] or result.get("thread_id") == write["thread_id"]:
            return True
    return False


def live(
    listeners: list[dict[str, Any]], acks: Acks, states: dict[str, str], specs: list[dict[str, Any]]
) -> tuple[list[str], dict[str, int]]:
    """Every acknowledged answer delivered to each listener granted its thread (and not told it lost
    access), none twice, nothing on streams not granted, no private thread granted to an outsider."""
    by_thread: dict[int, list[int]] = collections.defaultdict(list)
    for a in acks.answers:
        if states.get(str(a["post_id"])) not in (None, "pending"):
            by_thread[a["thread_id"]].append(a["post_id"])
    private = {a["thread_id"]: a["private_org"] for a in acks.asks if a["private_org"]}
    private.update({s["thread_id"]: s["org"] for spec in specs for s in spec.get("private", ())})
    figures: collections.Counter[str] = collections.Counter()
    missing_examples: list[tuple[int, str, int]] = []
    expected = _Expected(by_thread, _voted(acks, states), {p for p, _ in acks.flags})
    for result, spec in zip(listeners, specs, strict=True):
        _one_listener(result, spec, by_thread, private, figures, missing_examples)
        _votes_and_flags(result, expected, figures)
    return _live_failures(figures, missing_examples), dict(figures)


class _Expected:
    def __init__(self, answers: dict[int, list[int]], voted: dict[int, set[int]], flagged: set[int]):
        self.answers, self.voted, self.flagged = answers, voted, flagged


def _voted(acks: Acks, states: dict[str, str]) -> dict[int, set[int]]:
    """Thread -> its visible answers with an acknowledged vote (each must bring a ``score`` event)."""
    thread_of = {a["post_id"]: a["thread_id"] for a in acks.answers}
    voted: dict[int, set[int]] = collections.defaultdict(set)
    for post_id, _ in acks.votes:
        if states.get(str(post_id)) == "visible" and post_id in thread_of:
            voted[thread_of[post_id]].add(post_id)
    return voted


def _votes_and_flags(result: dict[str, Any], expected: _Expected, figures: collections.Counter[str]) -> None:
    """A ``score`` event for every voted post in a granted thread; an ``item`` event on the queue for
    every flagged post (moderators)."""
    for stream in result["granted"]:
        if stream.startswith("thread:") and stream not in result["lost"]:
            got = set(result.get("scores", {}).get(stream, ()))
            wanted = expected.voted.get(int(stream.split(":")[1]), set())
            figures["score_expected"] += len(wanted)
            figures["score_delivered"] += len(wanted & got)
        elif stream == "queue" and stream not in result["lost"]:
            figures["item_expected"] += len(expected.flagged)
            figures["item_delivered"] += len(expected.flagged & set(result.get("queued", ())))


def _one_listener(
    result: dict[str, Any],
    spec: dict[str, Any],
    by_thread: dict[int, list[int]],
    private: dict[int, int],
    figures: collections.Counter[str],
    missing_examples: list[tuple[int, str, int]],
) -> None:
    figures["listeners"] += 1
    figures["unsettled"] += not result["settled"]
    figures["fatal"] += bool(result["fatal"])
    figures["duplicates"] += result["duplicates"]
    figures["leaks"] += result["leaks"]
    figures["connects"] += result["connects"]
    figures["lost_access"] += len(result["lost"])
    figures["too_far_behind"] += result["closes"].get("resync:too_far_behind", 0)
    figures["overflow"] += result["closes"].get("resync:overflow", 0)
    for stream in result["granted"]:
        if not stream.startswith("thread:") or stream in result["lost"]:
            continue
        thread_id = int(stream.split(":")[1])
        org = private.get(thread_id)
        if org is not None and spec["role"] == "partner" and spec["org"] != org:
            figures["outsider_granted"] += 1
        got = set(result["posts"].get(stream, ()))
        for post_id in by_thread.get(thread_id, ()):
            figures["expected"] += 1
            if post_id in got:
                figures["delivered"] += 1
            elif len(missing_examples) < 5:
                missing_examples.append((result["user_id"], stream, post_id))


def _live_failures(figures: collections.Counter[str], examples: list[tuple[int, str, int]]) -> list[str]:
    failures = []
    lost = figures["expected"] - figures["delivered"]
    if lost:
        failures.append(
            f"{lost} of {figures['expected']} live deliveries never arrived (user, stream, post: {examples})"
        )
    for kind, what in (("score", "votes"), ("item", "flags")):
        missing = figures[f"{kind}_expected"] - figures[f"{kind}_delivered"]
        if missing:
            total = figures[f"{kind}_expected"]
            failures.append(f"{missing} of {total} {what} never reached a listener as a '{kind}' event")
    for name, sentence in (
        ("duplicates", "events arrived twice or out of order"),
        ("leaks", "events arrived on streams the listener was not granted"),
        ("outsider_granted", "private threads were granted to another organisation's partner"),
        ("too_far_behind", "resumes were refused as too far behind (events a client cannot replay)"),
        ("unsettled", "listeners never reached the last event id"),
        ("fatal", "listeners were signed out or refused"),
    ):
        if figures[name]:
            failures.append(f"{figures[name]} {sentence}")
    return failures
