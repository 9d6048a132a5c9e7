"""JSON routes under /api/v1, grouped by area."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
