"""One-click unsubscribe: a signed link per person and kind of mail, no sign-in needed.

The link's token is signed with the site's secret (a salt of its own, so it is good for nothing
else) and does not expire: a mail read months later must still let its reader stop the next.
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058) carry it for mail programs.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from community.errors import NotFound
from community.settings import Settings

SALT = "mail-unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def unsubscribe_token(settings: Settings, user_id: int, kind: str) -> str:
    return str(_serializer(settings).dumps([user_id, kind]))


def read_token(settings: Settings, token: str) -> tuple[int, str]:
    """(user id, kind); NotFound for a token we did not sign."""
    try:
        value = _serializer(settings).loads(token or "")
    except BadSignature:
        raise NotFound("This unsubscribe link is not valid.") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or type(value[0]) is not int
        or not isinstance(value[1], str)
    ):
        raise NotFound("This unsubscribe link is not valid.")
    return value[0], value[1]


def unsubscribe_url(settings: Settings, user_id: int, kind: str) -> str:
    return f"{settings.base_url}/mail/unsubscribe/{unsubscribe_token(settings, user_id, kind)}"


def unsubscribe_headers(settings: Settings, user_id: int, kind: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(settings, user_id, kind)}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }
