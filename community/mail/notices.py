"""Mail for notifications: decided in the notifying transaction, written once the person has had
a few minutes to see it in the app.

``delivery.notify`` calls ``mail_later`` with the notifications it wrote; for each recipient who
wants mail of that kind a scheduled job (``community/jobs.py``, kind ``mail.notification``, keyed
by the notification) is written in the same transaction, so no mail is lost to a crash and none is
queued twice (a grouped notification that grows keeps its one job). The job's handler queues the
mail, due a few minutes after the notification; the sender composes it then and sends nothing if
the notification has been read in the meantime.
"""

from __future__ import annotations

from collections.abc import Sequence

from community.mail.preferences import who_wants
from community.models import ScheduledJob
from community.timeutil import utcnow

NOTIFICATION_JOB = "mail.notification"


def job_key(notification_id: int) -> str:
    return f"mail:notification:{notification_id}"


async def mail_later(kind: str, created: Sequence[tuple[int, int]]) -> int:
    """Inside the notifying transaction: one job per (user id, notification id) whose user wants
    mail about ``kind``; returns how many were new."""
    if not created:
        return 0
    wanted = set(await who_wants(kind, [uid for uid, _ in created]))
    now = utcnow()
    jobs = [
        ScheduledJob(kind=NOTIFICATION_JOB, key=job_key(nid), due_at=now, payload={"notification_id": nid})
        for uid, nid in created
        if uid in wanted
    ]
    if not jobs:
        return 0
    # Already scheduled (a grouped notification bumped again): the key is taken, nothing is added.
    taken = set(await ScheduledJob.filter(key__in=[j.key for j in jobs]).values_list("key", flat=True))
    fresh = [j for j in jobs if j.key not in taken]
    if fresh:
        await ScheduledJob.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
