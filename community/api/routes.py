"""JSON routes under /api/v1, grouped by area."""

from __future__ import annotations

from starlette.routing import BaseRoute

from community.api import (
    accounts,
    categories,
    experts,
    kb,
    moderation,
    notifications,
    sanctions,
    search,
    suggestions,
    support,
    thread_actions,
    threads,
)
from community.api.openapi import OpenApi

routes: list[BaseRoute] = [
    *accounts.routes,
    *categories.routes,
    *threads.routes,
    *moderation.routes,
    *sanctions.routes,
    *thread_actions.routes,
    *search.routes,
    *suggestions.routes,
    *kb.routes,
    *notifications.routes,
    *experts.routes,
    *support.routes,
]
_openapi = OpenApi(routes)
routes.append(_openapi.route)
routes.append(_openapi.index_route)
document = _openapi.document
index = _openapi.index  # also answers /api/v1 without the slash (app.py)
