"""Work a caller joins to a use case's own transaction.

A use case that creates something takes ``within``: called with the new row's id as the last step
inside its transaction, so that what the caller does there (building the answer to send, keeping
an ``Idempotency-Key``) commits together with the creation or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

WithinTransaction = Callable[[int], Awaitable[None]]
