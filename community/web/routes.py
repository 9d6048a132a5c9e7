"""HTML routes, grouped by area (each area's views live in their own module)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from community.web import (
    accounts_views,
    admin_views,
    editor_views,
    expert_views,
    forum_views,
    health_views,
    image_views,
    kb_views,
    mail_views,
    moderation_views,
    notification_views,
    people_views,
    post_views,
    response_views,
    sanction_views,
    search_views,
    sso_views,
    system,
    thread_action_views,
)

routes: list[BaseRoute] = [
    *accounts_views.routes,
    *sso_views.routes,
    *forum_views.routes,
    *post_views.routes,
    *editor_views.routes,
    *image_views.routes,
    *people_views.routes,
    *expert_views.routes,
    *response_views.routes,
    *admin_views.routes,
    *search_views.routes,
    *moderation_views.routes,
    *sanction_views.routes,
    *thread_action_views.routes,
    *kb_views.routes,
    *health_views.routes,
    *notification_views.routes,
    *mail_views.routes,
    *system.routes,
]
