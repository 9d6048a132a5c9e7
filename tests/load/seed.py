"""Choose the load script's people in a generated community and give each an API token; print them,
with the categories and threads to work in, as one JSON object on stdout.

    COMMUNITY_DATABASE_URL=... .venv/bin/python tests/load/seed.py --people 200 --threads 40

Run by ``load_faults.py`` after ``community generate`` (the database's settings come from the
environment, as for ``community``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import tokens
from community.cli.common import open_db
from community.db import close_db
from community.models import Category, Role, Thread, User
from community.settings import Settings


def choose(users: list[User], count: int) -> list[User]:
    """One moderator, up to a tenth experts, the rest partners taken round-robin over their
    organisations (so that several organisations each have a few people)."""
    moderators = [u for u in users if u.role == Role.MODERATOR][:1]
    experts = [u for u in users if u.role == Role.EXPERT][: max(1, count // 10)]
    by_org: dict[int, list[User]] = {}
    for user in users:
        if user.role == Role.PARTNER and user.organisation_id is not None:
            by_org.setdefault(user.organisation_id, []).append(user)
    partners: list[User] = []
    queues = list(by_org.values())
    while len(partners) < count - len(moderators) - len(experts) and any(queues):
        for queue in queues:
            if queue and len(partners) < count - len(moderators) - len(experts):
                partners.append(queue.pop(0))
    return moderators + experts + partners


async def seed(people: int, thread_count: int) -> dict[str, Any]:
    await open_db(Settings.from_env(), allow_pending=False)
    try:
        users = await User.all().order_by("id")
        chosen = choose(users, people)
        out = []
        for user in chosen:
            token = await tokens.create_api_token(user, "load")
            out.append({"id": user.id, "role": user.role, "org": user.organisation_id, "token": token})
        categories = [c.slug for c in await Category.filter(visibility="all").order_by("id")]
        threads = await Thread.filter(
            kind="question", category__visibility="all", status="open", locked=False, is_deleted=False
        ).order_by("-id")
        return {
            "people": out,
            "categories": categories,
            "threads": [t.id for t in threads[:thread_count]],
        }
    finally:
        await close_db()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--threads", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(seed(args.people, args.threads))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
