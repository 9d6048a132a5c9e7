"""The mail sender: claims due mails from the queue and hands them to the transport, in every
worker process (the claim keeps two workers from sending the same mail).

Notification mails and digests are composed here, just before they go, by the composers
``app.py`` wires in by kind: what the recipient may see is decided at send time, and a composer
may decide there is nothing to send any more (``Withheld``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from community.mail import queue
from community.mail.compose import Composed, Withheld, build_message
from community.mail.transport import Transport, Undelivered
from community.models import OutgoingMail
from community.settings import Settings
from community.timeutil import utcnow

log = logging.getLogger(__name__)

Composer = Callable[[OutgoingMail], Awaitable[Composed | Withheld]]
Clock = Callable[[], datetime]


class MailSender:
    def __init__(
        self,
        settings: Settings,
        transport: Transport,
        composers: Mapping[str, Composer] | None = None,
        *,
        clock: Clock = utcnow,
        batch: int = 20,
        idle_seconds: float = 2.0,
        lease: timedelta = queue.LEASE,
        max_attempts: int = queue.MAX_ATTEMPTS,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.composers = dict(composers or {})
        self.clock = clock
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.lease = lease
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the queue now rather than after the idle pause (a mail was just queued here)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send every mail due now that no other worker holds; return how many this one sent.

        Claims until a claim comes back empty (not merely short: a short claim can be a race lost
        to another worker while more mails are due)."""
        await queue.give_up_on_abandoned(self.clock())
        sent = 0
        while True:
            token, mails = await queue.claim(now=self.clock(), batch=self.batch, lease=self.lease)
            if not mails:
                return sent
            for mail in mails:
                sent += await self._deliver(token, mail)

    async def run_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self.run_once()
                failures = 0
                pause = self.idle_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                pause = min(self.idle_seconds * 2**failures, 300.0)
                log.exception("mail: could not work through the queue; trying again in %.0f s", pause)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _deliver(self, token: str, mail: OutgoingMail) -> bool:
        try:
            composer = self.composers.get(mail.kind)
            if composer is not None:
                outcome = await composer(mail)
                if isinstance(outcome, Withheld):
                    await queue.withhold(mail.id, token, outcome.reason)
                    return False
                saved = await queue.save_composed(
                    mail, token, subject=outcome.subject, text=outcome.text, html=outcome.html,
                    headers=outcome.headers,
                )  # fmt: skip
                if not saved:
                    return False
            message = build_message(self.settings, mail)
        except Exception as exc:
            log.exception("mail %s: could not be composed", mail.id)
            await queue.retry_later(
                mail, token, self.clock(), f"{type(exc).__name__}: {exc}", max_attempts=self.max_attempts
            )
            return False
        if not await queue.start_handing(mail.id, token, self.clock(), self.lease):
            return False
        try:
            await self.transport.send(message, self.settings.mail_from, [mail.to_address])
        except Undelivered as exc:
            if exc.uncertain:
                log.warning("mail %s: may or may not have arrived (%s)", mail.id, exc)
                await queue.mark_uncertain(mail.id, token, str(exc))
            else:
                log.warning("mail %s: not delivered (%s)", mail.id, exc)
                await queue.retry_later(
                    mail,
                    token,
                    self.clock(),
                    str(exc),
                    permanent=exc.permanent,
                    max_attempts=self.max_attempts,
                )
            return False
        except Exception as exc:
            # Nobody knows how far it got: an administrator decides.
            log.exception("mail %s: the transport failed", mail.id)
            await queue.mark_uncertain(mail.id, token, f"{type(exc).__name__}: {exc}")
            return False
        await queue.mark_sent(mail, token, self.clock())
        return True
