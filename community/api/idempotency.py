"""Safe retries of the API's create endpoints, and 201 answers that cannot fail after the commit.

A client that did not hear the answer to ``POST /threads`` (a timeout, a dropped connection)
cannot know whether the thread exists. Sent again with the same ``Idempotency-Key`` header
(the IETF draft's name), the request gets the first answer again, marked
``Idempotent-Replayed: true``, and nothing is created twice.

The answer is built, and kept with its key, inside the use case's own transaction
(``community.transactions``): a crash or a database blip before the commit leaves neither the
thing nor the key (a retry creates it), after the commit both (a retry gets the answer). Building
the answer there also means a 201 never needs a read after the commit, which could fail and give
a 500 for a row that exists. Two requests with one key at the same moment: the second one's key
row waits for the first's transaction, then conflicts; it rolls back and answers the first's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError

from community.actor import Actor
from community.errors import Invalid, ServiceError
from community.models import IdempotentRequest
from community.timeutil import utcnow
from community.transactions import WithinTransaction

HEADER = "Idempotency-Key"
KEY_MAX = 255
KEPT_FOR = timedelta(hours=24)
BAD_KEY = f"The {HEADER} header must be 1 to {KEY_MAX} visible ASCII characters (a UUID is a good choice)."


class KeyReused(ServiceError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            f"This {HEADER} was already used for a different request. Use a new key for each new request."
        )


class _KeyTaken(Exception):
    """Another request with the same key committed first: ours is rolled back."""


async def create(
    request: Request,
    actor: Actor,
    perform: Callable[[WithinTransaction], Awaitable[object]],
    respond: Callable[[int], Awaitable[Response]],
) -> Response:
    """Run ``perform`` (the use case, handed ``within``) and answer what ``respond(new id)`` builds
    inside its transaction; with an ``Idempotency-Key``, at most once per key and caller."""
    key = _key(request)
    if key is not None:
        await _forget_old(actor.id)
    fingerprint = _fingerprint(request.method, request.url.path, await request.body())
    if key is not None and (kept := await _kept(actor.id, key)) is not None:
        return _replay(kept, fingerprint)
    answer: list[Response] = []

    async def within(created_id: int) -> None:
        response = await respond(created_id)
        answer.append(response)
        if key is None:
            return
        try:
            await IdempotentRequest.create(
                user_id=actor.id, key=key, fingerprint=fingerprint, status=response.status_code,
                body=bytes(response.body).decode(), location=response.headers.get("location", ""),
                created_at=utcnow(),
            )  # fmt: skip
        except IntegrityError:
            raise _KeyTaken from None

    try:
        await perform(within)
    except _KeyTaken:
        assert key is not None
        kept = await _kept(actor.id, key)
        assert kept is not None, "a key row that conflicted has committed"
        return _replay(kept, fingerprint)
    return answer[0]


def _key(request: Request) -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not 0 < len(value) <= KEY_MAX or not (value.isascii() and value.isprintable()):
        raise Invalid({HEADER: BAD_KEY}, BAD_KEY)
    return value


def _fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def _kept(user_id: int, key: str) -> IdempotentRequest | None:
    return await IdempotentRequest.filter(
        user_id=user_id, key=key, created_at__gte=utcnow() - KEPT_FOR
    ).first()


def _replay(kept: IdempotentRequest, fingerprint: str) -> Response:
    if kept.fingerprint != fingerprint:
        raise KeyReused()
    headers = {"Idempotent-Replayed": "true"}
    if kept.location:
        headers["Location"] = kept.location
    return Response(kept.body, kept.status, headers=headers, media_type="application/json")


async def _forget_old(user_id: int) -> None:
    """Keys are kept a day; a caller's expired ones go when they send a key again."""
    await IdempotentRequest.filter(user_id=user_id, created_at__lt=utcnow() - KEPT_FOR).delete()
