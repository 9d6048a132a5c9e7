"""The mails themselves: texts from Jinja templates (``templates/mail/<name>.txt`` and ``.html``),
and the MIME message with both parts and our headers.

A text template's first line is ``Subject: ...``; the rest is the plain-text part. The HTML
template gets the same context (autoescaped); the text one is rendered without escaping, since it
is not HTML (what people wrote arrives as plain text there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import formataddr, formatdate
from typing import Any

import jinja2

from community.models import OutgoingMail
from community.settings import Settings
from community.templating import TEMPLATES, environment, hours_words


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Withheld:
    """Nothing to send after all, and why (kept on the row for the outbox page)."""

    reason: str


_html = environment()
_text = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)
_text.filters["hours_words"] = hours_words


def render_mail(
    settings: Settings, name: str, context: dict[str, Any], headers: dict[str, str] | None = None
) -> Composed:
    ctx = {"settings": settings, "site_name": f"{settings.company_name} Partner Community", **context}
    rendered = _text.get_template(f"mail/{name}.txt").render(ctx)
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"templates/mail/{name}.txt must start with a Subject: line")
    subject = " ".join(first.removeprefix("Subject:").split())
    html = _html.get_template(f"mail/{name}.html").render({**ctx, "subject": subject})
    return Composed(subject, body.lstrip("\n"), html, dict(headers or {}))


class UrlListHeader(UnstructuredHeader):
    """``List-Unsubscribe`` (RFC 2369): a list of ``<URL>``s. Python folds a long unstructured
    header into RFC 2047 encoded-words (``=?utf-8?q?=3Chttp=3A//...``), which no mail program
    reads as a URL, so no "Unsubscribe" button; this one folds only between the list's items and
    leaves each URL whole (a line may run to RFC 5322's 998 characters)."""

    def fold(self, *, policy: Policy) -> str:
        items = [item.strip() for item in str(self).split(",") if item.strip()]
        return f"{self.name}: " + f",{policy.linesep} ".join(items) + policy.linesep


def _headers() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", UrlListHeader)
    return registry


MAIL_POLICY = policy.default.clone(header_factory=_headers())


def sender_address(settings: Settings) -> str:
    return formataddr((f"{settings.company_name} Partner Community", settings.mail_from))


def build_message(settings: Settings, mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender_address(settings)
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (mail.headers or {}).items():
        message[name] = value
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message
