"""Fixtures of the support area: an indexer over the app's own index (the lifespan's indexer does
not run under the in-process client), and clients whose API answers are checked against the
OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from community.search.indexer import Indexer
from tests.api.conftest import check_against_document


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [check_against_document]},
    ) as c:
        yield c


@pytest.fixture
async def indexer(app, tmp_path) -> AsyncIterator[Indexer]:  # type: ignore[no-untyped-def]
    yield Indexer(app.state.search)
    app.state.search.close()
