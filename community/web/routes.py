"""HTML routes, grouped by area (each area's views live in their own module)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from community.web import accounts_views, forum_views

routes: list[BaseRoute] = [*accounts_views.routes, *forum_views.routes]
