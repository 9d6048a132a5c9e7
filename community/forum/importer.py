"""Import a Stack Exchange ``Posts.xml`` dump: questions become question threads, answers become
posts, accepted answers stay accepted, scores and dates are kept.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import validation
from community.accounts import directory
from community.errors import Conflict, Invalid
from community.forum.stackexchange import (
    ImportReport,
    Owner,
    Progress,
    SourceAnswer,
    SourceQuestion,
    normalise_site,
    read_posts,
    site_from_path,
)
from community.markdown import sanitize_html
from community.models import (
    Category,
    Organisation,
    OrgKind,
    Post,
    PostRevision,
    Role,
    Tag,
    Thread,
    ThreadKind,
    ThreadStatus,
    ThreadTag,
    User,
)
from community.search.outbox import THREAD, index_later
from community.settings import Settings

IMPORTED_ORG_NAME = "Imported"


EMAIL_DOMAIN = "imported.invalid"  # .invalid never delivers: imported people get no mail by accident


BATCH_QUESTIONS = 100


_IN_CHUNK = 500  # keeps IN (...) lists under every database's parameter limit


def _body_html(source: str) -> str:
    # Old dumps link images over http, which the sanitiser drops; imgur serves the same over https.
    return sanitize_html(source.replace('src="http://i.stack.imgur.com/', 'src="https://i.stack.imgur.com/'))


def _chunks(items: list[Any], size: int = _IN_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def import_stackexchange(
    settings: Settings,
    path: str | Path,
    *,
    category_slug: str,
    category_name: str | None = None,
    site: str | None = None,
    batch_size: int = BATCH_QUESTIONS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` into the category ``category_slug`` (created, visible to all, if missing).

    One transaction per batch of questions: an interrupted import keeps whole threads only, and
    running it again completes it."""
    path = Path(path)
    site = normalise_site(site) if site else site_from_path(path)
    if not site:
        raise Invalid({"site": "The site name needs at least one letter or digit."})
    category_slug = (category_slug or "").strip().lower()
    if not validation.SLUG_RE.match(category_slug):
        raise Invalid({"category": "A category slug uses lowercase letters, digits and dashes (at most 60)."})
    report = ImportReport(site=site, category=category_slug)
    questions = await asyncio.to_thread(read_posts, path, report)
    category = await _category(settings, category_slug, category_name, report)
    report.category = category.name
    prefix = f"se:{site}:"
    existing_threads = {
        r["source_ref"]: r
        for r in await Thread.filter(source_ref__startswith=prefix).values(
            "id", "source_ref", "accepted_post_id", "last_activity_at"
        )
    }
    existing_posts = set(
        await Post.filter(source_ref__startswith=prefix).values_list("source_ref", flat=True)
    )
    todo = _plan(questions, prefix, existing_threads, existing_posts, report)
    users = await _authors(settings, site, todo, report)
    total, done = len(questions), len(questions) - len(todo)
    if progress:
        progress(done, total)
    for batch in _chunks(todo, max(1, batch_size)):
        await _import_batch(batch, prefix, category, users, existing_threads, existing_posts, report)
        done += len(batch)
        if progress:
            progress(done, total)
    return report


def _plan(
    questions: list[SourceQuestion],
    prefix: str,
    existing_threads: dict[str, dict[str, Any]],
    existing_posts: set[str],
    report: ImportReport,
) -> list[SourceQuestion]:
    """The questions with something new; counts what is already there."""
    todo = []
    for q in questions:
        new_answers = sum(1 for a in q.answers if prefix + a.id not in existing_posts)
        if prefix + q.id in existing_threads:
            report.already_imported += 1 + len(q.answers) - new_answers
            if not new_answers:
                continue
        todo.append(q)
    return todo


async def _category(settings: Settings, slug: str, name: str | None, report: ImportReport) -> Category:
    category = await Category.filter(slug=slug).first()
    if category is not None:
        return category
    report.category_created = True
    label = name or slug.replace("-", " ").capitalize()
    return await directory.create_category(settings, None, name=label, slug=slug, visibility="all")


async def imported_organisation(settings: Settings) -> Organisation:
    """The one organisation every imported author belongs to: partners of the lowest tier."""
    org = await Organisation.filter(kind=OrgKind.IMPORTED).order_by("id").first()
    if org is not None:
        return org
    if await Organisation.filter(slug=validation.slugify(IMPORTED_ORG_NAME)).exists():
        raise Conflict(f"An organisation named “{IMPORTED_ORG_NAME}” exists and is not the import one.")
    return await Organisation.create(
        name=IMPORTED_ORG_NAME,
        slug=validation.slugify(IMPORTED_ORG_NAME),
        kind=OrgKind.IMPORTED,
        tier=settings.partner_tiers[0],
        description="Authors of content imported from other Q&A sites. They have no password.",
    )


def _email(site: str, owner: Owner) -> str:
    return f"se-{site}-{owner.key}"[:64] + "@" + EMAIL_DOMAIN


async def _authors(
    settings: Settings, site: str, todo: list[SourceQuestion], report: ImportReport
) -> dict[str, int]:
    """Map every author of the new content to a user id, creating the missing accounts in bulk."""
    owners: dict[str, Owner] = {}
    for q in todo:
        owners.setdefault(_email(site, q.owner), q.owner)
        for a in q.answers:
            owners.setdefault(_email(site, a.owner), a.owner)
    if not owners:
        return {}
    emails = list(owners)
    ids: dict[str, int] = {}
    for chunk in _chunks(emails):
        ids.update(await User.filter(email__in=chunk).values_list("email", "id"))  # type: ignore[arg-type]
    missing = [e for e in emails if e not in ids]
    if missing:
        org = await imported_organisation(settings)
        handles = await _unique_handles([owners[e].display_name for e in missing])
        async with in_transaction():
            await User.bulk_create(
                [
                    User(
                        email=email,
                        handle=handle,
                        display_name=owners[email].display_name,
                        role=Role.PARTNER,
                        organisation_id=org.id,
                        password_hash=None,
                    )
                    for email, handle in zip(missing, handles, strict=True)
                ],
                batch_size=_IN_CHUNK,
            )
        for chunk in _chunks(missing):
            ids.update(await User.filter(email__in=chunk).values_list("email", "id"))  # type: ignore[arg-type]
        report.users_created = len(missing)
    return {owner.key: ids[email] for email, owner in owners.items()}


async def _unique_handles(names: list[str]) -> list[str]:
    """Handles from display names, unique among themselves and against existing users, in a few
    queries however many names there are."""
    bases = [validation.slugify(n, 30) or "member" for n in names]
    taken: set[str] = set()
    for chunk in _chunks(sorted(set(bases))):
        taken.update(await User.filter(handle__in=chunk).values_list("handle", flat=True))  # type: ignore[arg-type]
    pending = list(range(len(bases)))
    suffix = {i: 1 for i in pending}
    while pending:
        candidates = {i: bases[i] if suffix[i] == 1 else f"{bases[i]}-{suffix[i]}" for i in pending}
        unknown = [h for h in set(candidates.values()) if h not in taken]
        for chunk in _chunks(unknown):
            taken.update(await User.filter(handle__in=chunk).values_list("handle", flat=True))  # type: ignore[arg-type]
        retry = []
        for i in pending:
            if candidates[i] in taken:
                suffix[i] += 1
                retry.append(i)
            else:
                taken.add(candidates[i])
                bases[i] = candidates[i]
        pending = retry
    return bases


async def _import_batch(
    batch: list[SourceQuestion],
    prefix: str,
    category: Category,
    users: dict[str, int],
    existing_threads: dict[str, dict[str, Any]],
    existing_posts: set[str],
    report: ImportReport,
) -> None:
    new_questions = [q for q in batch if prefix + q.id not in existing_threads]
    new_ids = {q.id for q in new_questions}
    answers = {q.id: [a for a in q.answers if prefix + a.id not in existing_posts] for q in batch}
    # Sanitising dominates the import's time: keep it off the event loop.
    bodies = await asyncio.to_thread(
        lambda: {
            prefix + p.id: _body_html(p.body)
            for q in batch
            for p in ([q] if q.id in new_ids else []) + answers[q.id]
        }
    )
    async with in_transaction():
        await Thread.bulk_create(
            [
                Thread(
                    category_id=category.id,
                    kind=ThreadKind.QUESTION,
                    title=q.title,
                    author_id=users[q.owner.key],
                    status=ThreadStatus.CLOSED if q.closed else ThreadStatus.OPEN,
                    tag_names=q.tags,
                    reply_count=len(answers[q.id]),
                    score=q.score,
                    created_at=q.created_at,
                    last_activity_at=q.last_activity_at,
                    source_ref=prefix + q.id,
                )
                for q in new_questions
            ]
        )
        thread_ids: dict[str, int] = dict(
            await Thread.filter(source_ref__in=[prefix + q.id for q in new_questions]).values_list(
                "source_ref", "id"
            )  # type: ignore[arg-type]
        )
        thread_ids.update(
            {prefix + q.id: existing_threads[prefix + q.id]["id"] for q in batch if q.id not in new_ids}
        )

        posts: list[Post] = []
        post_counts: Counter[int] = Counter()
        for q in batch:
            items: list[SourceQuestion | SourceAnswer] = list(answers[q.id])
            if q.id in new_ids:
                items.insert(0, q)
            for item in items:
                author_id = users[item.owner.key]
                posts.append(
                    Post(
                        thread_id=thread_ids[prefix + q.id],
                        author_id=author_id,
                        is_opening=item is q,
                        body_source=item.body,
                        body_html=bodies[prefix + item.id],
                        score=item.score,
                        created_at=item.created_at,
                        source_ref=prefix + item.id,
                    )
                )
                post_counts[author_id] += 1
        await Post.bulk_create(posts, batch_size=_IN_CHUNK)
        post_rows: dict[str, tuple[int, int]] = {}
        for chunk in _chunks([p.source_ref for p in posts]):
            rows = await Post.filter(source_ref__in=chunk).values_list("source_ref", "id", "author_id")
            post_rows.update({ref: (pid, author_id) for ref, pid, author_id in rows})
        openings = {prefix + q.id: q for q in new_questions}
        await PostRevision.bulk_create(
            [
                PostRevision(
                    post_id=post_rows[p.source_ref][0],
                    number=1,
                    editor_id=p.author_id,
                    title=openings[p.source_ref].title if p.is_opening else None,
                    tag_names=openings[p.source_ref].tags if p.is_opening else None,
                    body_source=p.body_source,
                    body_html=p.body_html,
                    created_at=p.created_at,
                )
                for p in posts
            ],
            batch_size=_IN_CHUNK,
        )

        # Only an answer imported in this run is accepted: a re-run never overrides a local
        # decision (a moderator who un-accepted an imported answer).
        accepted_counts: Counter[int] = Counter()
        accepted_threads: list[Thread] = []
        for q in batch:
            accepted = post_rows.get(prefix + q.accepted_id) if q.accepted_id else None
            if q.id in new_ids:
                if accepted is not None:
                    accepted_threads.append(
                        Thread(id=thread_ids[prefix + q.id], accepted_post_id=accepted[0])
                    )
                    accepted_counts[accepted[1]] += 1
            else:
                existing = existing_threads[prefix + q.id]
                if existing["accepted_post_id"] is not None:
                    accepted = None
                if accepted is not None:
                    accepted_counts[accepted[1]] += 1
                await _update_existing_thread(existing, q, len(answers[q.id]), accepted)
        if accepted_threads:
            await Thread.bulk_update(accepted_threads, fields=["accepted_post_id"], batch_size=_IN_CHUNK)

        await _tag_threads({thread_ids[prefix + q.id]: q.tags for q in new_questions})
        await _bump_counts("post_count", post_counts)
        await _bump_counts("accepted_count", accepted_counts)
        # One outbox row per thread created or extended (one insert): the indexer rebuilds each
        # thread's documents, its answers included, from the database.
        await index_later(*((THREAD, thread_ids[prefix + q.id]) for q in batch))
    report.threads += len(new_questions)
    report.answers += sum(len(a) for a in answers.values())
    report.accepted += sum(accepted_counts.values())


async def _update_existing_thread(
    thread: dict[str, Any], q: SourceQuestion, new_answers: int, accepted: tuple[int, int] | None
) -> None:
    """A later dump of the same site: append its new answers to the thread imported before."""
    updates: dict[str, Any] = {"version": F("version") + 1}
    if new_answers:
        updates["reply_count"] = F("reply_count") + new_answers
        updates["last_activity_at"] = max(thread["last_activity_at"], q.last_activity_at)
    if accepted is not None:
        updates["accepted_post_id"] = accepted[0]
    await Thread.filter(id=thread["id"]).update(**updates)


async def _tag_threads(tags_by_thread: dict[int, list[str]]) -> None:
    names = sorted({t for tags in tags_by_thread.values() for t in tags})
    if not names:
        return
    ids: dict[str, int] = {}
    for chunk in _chunks(names):
        ids.update(await Tag.filter(name__in=chunk).values_list("name", "id"))  # type: ignore[arg-type]
    missing = [n for n in names if n not in ids]
    if missing:
        await Tag.bulk_create([Tag(name=n) for n in missing], batch_size=_IN_CHUNK, ignore_conflicts=True)
        for chunk in _chunks(missing):
            ids.update(await Tag.filter(name__in=chunk).values_list("name", "id"))  # type: ignore[arg-type]
    await ThreadTag.bulk_create(
        [ThreadTag(thread_id=tid, tag_id=ids[n]) for tid, tags in tags_by_thread.items() for n in tags],
        batch_size=_IN_CHUNK,
    )


async def _bump_counts(column: str, deltas: Counter[int]) -> None:
    """One UPDATE per distinct delta rather than one per user."""
    by_delta: dict[int, list[int]] = defaultdict(list)
    for user_id, delta in deltas.items():
        if delta:
            by_delta[delta].append(user_id)
    for delta, user_ids in by_delta.items():
        for chunk in _chunks(user_ids):
            await User.filter(id__in=chunk).update(**{column: F(column) + delta})
