"""The pages the layout, accessibility and screenshot tests visit, on the demo content.

Each is (name, path, who): `who` is a key of conftest.PEOPLE, or None for a signed-out visitor.
"""

from __future__ import annotations

# About twenty pages: every list, form and table layout the product has.
LAYOUT_PAGES: list[tuple[str, str, str | None]] = [
    ("sign-in", "/login", None),
    ("latest", "/", "partner"),
    ("categories", "/categories", "partner"),
    ("category", "/c/product-setup", "partner"),
    ("tag", "/tags/router-x200", "partner"),
    ("thread", "/t/2", "partner"),
    ("ask", "/ask", "partner"),
    ("search", "/search?q=router+bgp", "partner"),
    ("knowledge-base", "/kb", "partner"),
    ("article", "/kb/1", "partner"),
    ("profile", "/u/priya-raman", "partner"),
    ("organisation", "/account/organisation", "org_admin"),
    ("notifications", "/notifications", "partner"),
    ("settings", "/account/profile", "partner"),
    ("tokens", "/account/tokens", "partner"),
    ("review-queue", "/moderation/queue", "moderator"),
    ("moderation-overview", "/moderation/overview", "moderator"),
    ("audit-log", "/moderation/audit", "moderator"),
    ("sanctions", "/moderation/sanctions", "moderator"),
    ("admin", "/admin", "admin"),
    ("admin-organisations", "/admin/organisations", "admin"),
    ("admin-invitations", "/admin/invitations", "admin"),
    ("admin-categories", "/admin/categories", "admin"),
    ("watched-words", "/admin/watched-words", "admin"),
    ("channel-health", "/health", "admin"),
    ("not-found", "/t/999999", "partner"),
]

# Every other page someone can open (forms, histories, the moderator's and the admin's pages, the
# help), measured at phone width too: the issue asks that no page be wider than the screen.
# Post 5 is Lukas Weber's question in thread 2 (the partner's own), post 6 an answer in it.
MORE_PAGES: list[tuple[str, str, str | None]] = [
    ("forgot-password", "/password-reset", None),
    ("dead-invitation", "/invitations/not-a-real-token", None),
    ("forbidden", "/moderation/audit", "partner"),
    ("api-help", "/help/api", "partner"),
    ("password", "/account/password", "partner"),
    ("mail-settings", "/account/mail", "partner"),
    ("notification-settings", "/settings/notifications", "partner"),
    ("organisation-page", "/orgs/harbourline-it", "moderator"),
    ("post-edit", "/posts/5/edit", "partner"),
    ("post-delete", "/posts/5/delete", "partner"),
    ("post-revisions", "/posts/5/revisions", "partner"),
    ("flag-post", "/posts/6/flag", "partner"),
    ("flag-thread", "/t/3/flag", "partner"),
    ("experts", "/experts", "partner"),
    ("expert", "/experts/priya-raman", "partner"),
    ("expert-edit", "/experts/priya-raman/edit", "expert"),
    ("waiting", "/waiting", "expert"),
    ("promote", "/posts/6/promote", "expert"),
    ("kb-edit", "/kb/1/edit", "expert"),
    ("kb-versions", "/kb/1/versions", "expert"),
    ("kb-products", "/kb/products", "expert"),
    ("member", "/moderation/users/sofia-rossi", "moderator"),
    ("category-edit", "/admin/categories/product-setup", "admin"),
    ("announcements-admin", "/admin/announcements", "admin"),
    ("outbox", "/admin/outbox", "admin"),
    ("response-targets", "/admin/response-targets", "admin"),
    ("response-target", "/admin/response-targets/product-setup", "admin"),
    ("health-threads", "/health/threads?figure=answered", "admin"),
]

# The main pages axe-core checks (issue 14's twelve, and the channel-health dashboard), at desktop
# and phone widths.
MAIN_PAGES = [
    p
    for p in LAYOUT_PAGES
    if p[0]
    in {
        "sign-in",
        "latest",
        "category",
        "thread",
        "ask",
        "search",
        "knowledge-base",
        "article",
        "notifications",
        "review-queue",
        "audit-log",
        "admin",
        "channel-health",
    }
]
