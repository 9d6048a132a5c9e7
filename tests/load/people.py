"""Simulated people for the load script: partners of several organisations, experts and a
moderator browsing, searching, asking, answering, voting and flagging through the JSON API.

A person waits a random think time between actions. Creates carry an ``Idempotency-Key``; a create,
vote or flag that meets a 503, a 502/504 or a dropped connection is sent again with the same key
after ``Retry-After`` (as docs/api.md tells a client to), for at most ``RETRY_SECONDS``. Every
answer is recorded per action and status; an acknowledged write (201, or a vote's 200) is kept for
the checks, with the unique marker word its text carries (searched for at the end).
"""

from __future__ import annotations

import asyncio
import collections
import random
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_SECONDS = 90.0
RETRYABLE = {502, 503, 504}
MARKER_PREFIX = "lfm"
WORDS = [
    "espresso",
    "grind",
    "roast",
    "beans",
    "water",
    "milk",
    "temperature",
    "brew",
    "filter",
    "grinder",
    "acidity",
    "crema",
    "pressure",
    "kettle",
    "decaf",
    "storage",
    "burr",
    "pour",
]

WEIGHTS: dict[str, dict[str, int]] = {
    "partner": {"browse": 20, "read": 25, "search": 20, "answer": 18, "ask": 5, "vote": 10, "flag": 2},
    "expert": {"browse": 10, "read": 20, "search": 15, "answer": 45, "vote": 10},
    "moderator": {"queue": 40, "decide": 10, "read": 20, "search": 15, "browse": 15},
}


def marker() -> str:
    return MARKER_PREFIX + "".join(random.choices(string.ascii_lowercase, k=10))


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    org: int | None
    token: str

    @property
    def staff(self) -> bool:
        return self.role != "partner"

    def may_see(self, private_org: int | None) -> bool:
        return private_org is None or self.staff or private_org == self.org


@dataclass(frozen=True)
class HotThread:
    id: int
    private_org: int | None


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    no_retry_after: int = 0  # 503s without Retry-After
    errors_by_window: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    # (when the action started, its latency, the fault window it started in), for the timeline.
    timeline: list[tuple[float, float, str]] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)  # seconds the client's event loop woke late


@dataclass
class Acks:
    """Writes the API acknowledged."""

    asks: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    votes: list[tuple[int, int]] = field(default_factory=list)
    flags: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class World:
    base: str
    client: httpx.AsyncClient
    hot: list[HotThread]
    categories: list[str]
    stats: Stats = field(default_factory=Stats)
    acks: Acks = field(default_factory=Acks)
    recent: collections.deque[dict[str, Any]] = field(default_factory=lambda: collections.deque(maxlen=500))
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    phase: str = "steady"  # the fault window in force, for errors_by_window

    async def call(
        self,
        person: Person,
        action: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = False,
    ) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {person.token}"}
        if retry and method == "POST" and action in ("ask", "answer"):
            headers["Idempotency-Key"] = str(uuid.uuid4())
        started = time.monotonic()
        phase = self.phase
        while True:
            response, status = await self._once(method, path, headers, body, params)
            self.stats.statuses[action][status] += 1
            if status[0] in "45ct" and status not in ("404", "403"):
                self.stats.errors_by_window[self.phase][f"{action} {status}"] += 1
            if status == "503" and response is not None and "retry-after" not in response.headers:
                self.stats.no_retry_after += 1
            if not (retry and (not status.isdigit() or int(status) in RETRYABLE)):
                break
            if time.monotonic() - started > RETRY_SECONDS:
                break
            await asyncio.sleep(_retry_after(response) * random.uniform(0.8, 1.2))
        self.stats.latency[action].append(time.monotonic() - started)
        self.stats.timeline.append((started, time.monotonic() - started, phase))
        return response

    async def _once(
        self, method: str, path: str, headers: dict[str, str], body: Any, params: dict[str, Any] | None
    ) -> tuple[httpx.Response | None, str]:
        try:
            response = await self.client.request(
                method, self.base + path, json=body, params=params, headers=headers, timeout=30
            )
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.TransportError:
            return None, "conn"
        return response, str(response.status_code)


def _retry_after(response: httpx.Response | None) -> float:
    try:
        return min(5.0, max(0.2, float(response.headers["retry-after"]))) if response else 1.0
    except (KeyError, ValueError):
        return 1.0


def _visible_hot(world: World, person: Person) -> list[HotThread]:
    return [t for t in world.hot if person.may_see(t.private_org)]


def _someone_elses_answer(world: World, person: Person) -> dict[str, Any] | None:
    for _ in range(10):
        if not world.recent:
            return None
        post = random.choice(world.recent)
        if post["author"] != person.id and person.may_see(post["private_org"]):
            return post
    return None


async def browse(world: World, person: Person) -> None:
    params = {"page": random.randint(1, 3)}
    if random.random() < 0.5:
        params["show"] = random.choice(["latest", "unanswered", "solved"])
    await world.call(person, "browse", "GET", "/api/v1/threads", params=params)


async def read(world: World, person: Person) -> None:
    thread = random.choice(_visible_hot(world, person))
    await world.call(person, "read", "GET", f"/api/v1/threads/{thread.id}")


async def search(world: World, person: Person) -> None:
    q = " ".join(random.sample(WORDS, random.randint(1, 2)))
    await world.call(person, "search", "GET", "/api/v1/search", params={"q": q})


async def ask(world: World, person: Person) -> None:
    word = marker()
    private = person.role == "partner" and random.random() < 0.2
    body = {
        "category": random.choice(world.categories),
        "kind": "question",
        "title": f"How do we handle {random.choice(WORDS)} questions from our customers?",
        "body": f"Our customers ask about {' and '.join(random.sample(WORDS, 3))}. Reference {word}.",
        "private": private,
    }
    response = await world.call(person, "ask", "POST", "/api/v1/threads", body=body, retry=True)
    if response is not None and response.status_code == 201:
        thread = response.json()
        world.acks.asks.append(
            {
                "thread_id": thread["id"],
                "post_id": thread["opening_post"]["id"],
                "marker": word,
                "private_org": person.org if private else None,
            }
        )


async def answer(world: World, person: Person) -> None:
    thread = random.choice(_visible_hot(world, person))
    word = marker()
    text = f"We solved it with {' and '.join(random.sample(WORDS, 3))}; see case {word}."
    response = await world.call(
        person, "answer", "POST", f"/api/v1/threads/{thread.id}/posts", body={"body": text}, retry=True
    )
    if response is not None and response.status_code == 201:
        post = {
            "post_id": response.json()["id"],
            "thread_id": thread.id,
            "marker": word,
            "author": person.id,
            "private_org": thread.private_org,
        }
        world.acks.answers.append(post)
        world.recent.append(post)


async def vote(world: World, person: Person) -> None:
    post = _someone_elses_answer(world, person)
    if post is None:
        return
    response = await world.call(person, "vote", "POST", f"/api/v1/posts/{post['post_id']}/votes", retry=True)
    if response is not None and response.status_code == 200:
        world.acks.votes.append((post["post_id"], person.id))


async def flag(world: World, person: Person) -> None:
    post = _someone_elses_answer(world, person)
    if post is None:
        return
    response = await world.call(
        person,
        "flag",
        "POST",
        f"/api/v1/posts/{post['post_id']}/flags",
        body={"reason": "off_topic"},
        retry=True,
    )
    if response is not None and response.status_code == 201:
        world.acks.flags.append((post["post_id"], person.id))


async def queue(world: World, person: Person) -> None:
    await world.call(person, "queue", "GET", "/api/v1/moderation/queue")


async def decide(world: World, person: Person) -> None:
    response = await world.call(person, "queue", "GET", "/api/v1/moderation/queue")
    if response is None or response.status_code != 200 or not response.json().get("items"):
        return
    item = response.json()["items"][0]
    await world.call(
        person, "decide", "POST", f"/api/v1/moderation/items/{item['id']}/decision", body={"decision": "keep"}
    )


ACTIONS = {
    "browse": browse,
    "read": read,
    "search": search,
    "ask": ask,
    "answer": answer,
    "vote": vote,
    "flag": flag,
    "queue": queue,
    "decide": decide,
}


async def live(world: World, person: Person, think: float, until: float) -> None:
    """One person's session: actions drawn by their role's weights until ``until``."""
    weights = WEIGHTS[person.role if person.role in WEIGHTS else "partner"]
    names, odds = list(weights), list(weights.values())
    await asyncio.sleep(random.uniform(0, think))
    while time.monotonic() < until and not world.stop.is_set():
        await ACTIONS[random.choices(names, odds)[0]](world, person)
        await asyncio.sleep(min(10 * think, random.expovariate(1 / think)))
