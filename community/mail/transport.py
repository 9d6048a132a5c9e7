"""The way out: an SMTP server (aiosmtplib), or .eml files in a directory when none is configured.

A transport says how a failure happened, because the queue must know whether the mail might have
arrived: refused before the message was handed over (or answered with an error) means it did not
(try again later, or give up on a permanent 5xx); a connection lost while the message itself was
being handed over means nobody knows, and the mail is marked uncertain rather than resent.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib

from community.settings import Settings


class Undelivered(Exception):
    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


class Transport(Protocol):
    description: str

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None: ...


def _response(exc: aiosmtplib.SMTPResponseException) -> Undelivered:
    return Undelivered(f"{exc.code} {exc.message}", permanent=500 <= exc.code < 600)


class SmtpTransport:
    """One connection per mail (a few ms locally): nothing to keep alive between quiet spells."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.description = f"SMTP {host}:{port} ({security})"

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
        )
        data = message.as_bytes(policy=email.policy.SMTP)
        try:
            try:
                await smtp.connect()
                if self.username:
                    await smtp.login(self.username, self.password or "")
                await smtp.mail(sender)
                for recipient in recipients:
                    await smtp.rcpt(recipient)
            except aiosmtplib.SMTPResponseException as exc:
                raise _response(exc) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
            try:
                await smtp.data(data)
            except aiosmtplib.SMTPResponseException as exc:
                # The server answered, refusing it: nothing was delivered.
                raise _response(exc) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise Undelivered(f"{type(exc).__name__}: {exc}", uncertain=True) from exc
        finally:
            with contextlib.suppress(Exception):
                if smtp.is_connected:
                    await smtp.quit()
            with contextlib.suppress(Exception):
                smtp.close()


FILE_NAME = re.compile(r"^[0-9a-f]{32}\.eml$")


class FileTransport:
    """Development and the demo: each mail becomes ``<message id>.eml`` (written whole, then renamed
    into place, so a reader never sees half a file and a second write replaces the first)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"files in {directory}"

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        try:
            await asyncio.to_thread(self._write, message)
        except OSError as exc:
            raise Undelivered(f"could not write the mail file: {exc}") from exc

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^0-9a-f]", "", str(message["Message-ID"]).split("@")[0])[:32].ljust(32, "0")
        path = self.directory / f"{name}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes(policy=email.policy.SMTP))
        os.replace(partial, path)


def outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail" / "outbox"


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )
    return FileTransport(outbox_dir(settings))


# --- reading the file mailbox back (/admin/outbox) ---------------------------------------------------


@dataclass(frozen=True)
class MailFile:
    name: str
    to: str
    subject: str
    date: str
    size: int
    mtime: float


def list_files(directory: Path, limit: int = 100) -> list[MailFile]:
    if not directory.is_dir():
        return []
    paths = sorted(
        (p for p in directory.iterdir() if FILE_NAME.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    found = []
    for path in paths[:limit]:
        with path.open("rb") as fh:
            headers = BytesHeaderParser(policy=email.policy.default).parse(fh)
        stat = path.stat()
        found.append(
            MailFile(
                path.name,
                str(headers["To"] or ""),
                str(headers["Subject"] or ""),
                str(headers["Date"] or ""),
                stat.st_size,
                stat.st_mtime,
            )
        )
    return found


def read_file(directory: Path, name: str) -> dict[str, Any] | None:
    """One mail file's headers, plain-text and HTML parts and source; None for a name that is not one."""
    if not FILE_NAME.match(name) or not (directory / name).is_file():
        return None
    raw = (directory / name).read_bytes()
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "name": name,
        "headers": list(message.items()),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "source": raw.decode("utf-8", "replace"),
    }
