"""Tortoise models, one module per aggregate. No business rules beyond invariants."""

from community.models.accounts import (
    ApiToken,
    Invitation,
    LoginFailure,
    PasswordReset,
    Role,
    User,
    UserStatus,
)
from community.models.forum import (
    Category,
    Post,
    PostRevision,
    PostState,
    Tag,
    Thread,
    ThreadKind,
    ThreadStatus,
    ThreadTag,
    Visibility,
    Vote,
)
from community.models.orgs import Organisation, OrgKind
from community.models.outbox import IndexOutbox

__all__ = [
    "ApiToken",
    "Category",
    "IndexOutbox",
    "Invitation",
    "LoginFailure",
    "OrgKind",
    "Organisation",
    "PasswordReset",
    "Post",
    "PostRevision",
    "PostState",
    "Role",
    "Tag",
    "Thread",
    "ThreadKind",
    "ThreadStatus",
    "ThreadTag",
    "User",
    "UserStatus",
    "Visibility",
    "Vote",
]
