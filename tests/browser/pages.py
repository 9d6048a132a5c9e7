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
