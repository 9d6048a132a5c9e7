"""Every setting the product reads, declared once: name, default, help text, validation.

Settings come from environment variables only. Nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SMTP_SECURITY = ("starttls", "tls", "none")


class SettingsError(ValueError):
    """A setting has a value the product cannot use; the message names it."""


@dataclass(frozen=True)
class SettingSpec:
    name: str
    default: str | None
    help: str


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("COMMUNITY_DATA_DIR", "./data", "Directory for the SQLite file, secret key and index."),
    SettingSpec(
        "COMMUNITY_DATABASE_URL",
        None,
        "Database URL, e.g. postgres://user@host:5432/db. Default: SQLite file "
        "community.sqlite3 in the data dir.",
    ),
    SettingSpec(
        "COMMUNITY_SECRET_KEY",
        None,
        "Key that signs session cookies. Default: generated on first start and kept in "
        "<data dir>/secret_key.",
    ),
    SettingSpec("COMMUNITY_REDIS_URL", None, "Redis URL for the message bus across workers."),
    SettingSpec(
        "COMMUNITY_REDIS_PREFIX",
        "community",
        "Prefix of the Redis channel names (several sites or test runs can share one Redis).",
    ),
    SettingSpec(
        "COMMUNITY_LIVE_HEARTBEAT_SECONDS",
        "25",
        "Live updates: clients ping this often; one silent for 2.5 times as long is disconnected.",
    ),
    SettingSpec(
        "COMMUNITY_INDEX_STALE_SECONDS",
        "120",
        "Search: /healthz answers 503 when the oldest change waiting for the index is older than this.",
    ),
    SettingSpec(
        "COMMUNITY_LIVE_RETENTION_HOURS",
        "48",
        "Live updates: hours the event log is kept for reconnecting clients to catch up.",
    ),
    SettingSpec(
        "COMMUNITY_LIVE_QUEUE_LIMIT",
        "256",
        "Live updates: messages waiting for one slow client before it is told to resync.",
    ),
    SettingSpec("COMMUNITY_BASE_URL", "http://127.0.0.1:8000", "Public address, used in invitation links."),
    SettingSpec("COMMUNITY_COMPANY_NAME", "Northwind Networks", "Name of the company itself."),
    SettingSpec(
        "COMMUNITY_PARTNER_TIERS",
        "registered,silver,gold",
        "Comma-separated partner tiers, lowest first.",
    ),
    SettingSpec("COMMUNITY_INVITATION_HOURS", "168", "Hours an invitation link stays valid."),
    SettingSpec("COMMUNITY_RESET_HOURS", "2", "Hours a password reset token stays valid."),
    SettingSpec(
        "COMMUNITY_LOGIN_MAX_FAILURES",
        "5",
        "Failed sign-ins per account (and 4x that per IP) within the window before throttling.",
    ),
    SettingSpec("COMMUNITY_LOGIN_WINDOW_SECONDS", "900", "Window for counting failed sign-ins."),
    SettingSpec("COMMUNITY_PAGE_SIZE", "20", "Threads per page in thread lists."),
    SettingSpec("COMMUNITY_POSTS_PER_PAGE", "50", "Answers or replies per page of a thread."),
    SettingSpec("COMMUNITY_LOG_LEVEL", "info", "Log level: debug, info, warning, error."),
    SettingSpec(
        "COMMUNITY_FLAG_THRESHOLD",
        "3",
        "Flag weight at which a post is hidden at once, pending review (a moderator's flag always is).",
    ),
    SettingSpec("COMMUNITY_FLAG_WEIGHT_PARTNER", "1", "Weight of a partner's flag."),
    SettingSpec("COMMUNITY_FLAG_WEIGHT_EXPERT", "2", "Weight of an expert's flag."),
    # New accounts and posting limits (moderation/newcomers.py, moderation/limits.py).
    SettingSpec(
        "COMMUNITY_NEW_ACCOUNT_HELD_POSTS",
        "2",
        "A partner's posts wait for a moderator's approval until this many are published (0: never).",
    ),
    SettingSpec(
        "COMMUNITY_NEW_ACCOUNT_DAYS",
        "3",
        "A partner account younger than this many days is new too (link limit); 0: age does not count.",
    ),
    SettingSpec("COMMUNITY_NEW_ACCOUNT_MAX_LINKS", "2", "Links a new account may put in one post."),
    SettingSpec(
        "COMMUNITY_IMAGE_MAX_KB",
        "1024",
        "Largest image (KB) a member may upload into a post or as an avatar (at most 1900: a form "
        "sent without JavaScript must stay within the 2 MB the CSRF check reads).",
    ),
    SettingSpec("COMMUNITY_POSTS_PER_MINUTE", "6", "New posts per person per minute (0: no limit)."),
    SettingSpec("COMMUNITY_POSTS_PER_DAY", "200", "New posts per person per day (0: no limit)."),
    SettingSpec("COMMUNITY_POSTS_PER_IP_MINUTE", "60", "New posts per IP address per minute (0: no limit)."),
    # Single sign-on through the company's OpenID provider (community/sso, docs/deployment.md).
    SettingSpec(
        "COMMUNITY_OIDC_ISSUER", None, "OpenID provider's issuer URL; setting it turns company sign-in on."
    ),
    SettingSpec("COMMUNITY_OIDC_CLIENT_ID", None, "Client id registered at the OpenID provider."),
    SettingSpec("COMMUNITY_OIDC_CLIENT_SECRET", None, "Client secret registered at the OpenID provider."),
    SettingSpec("COMMUNITY_OIDC_NAME", "company account", "Shown on the button: “Sign in with your …”."),
    SettingSpec(
        "COMMUNITY_OIDC_SCOPES", "openid email profile", "Scopes asked for (openid and email needed)."
    ),
    SettingSpec("COMMUNITY_OIDC_GROUPS_CLAIM", "groups", "Claim that lists the person's groups."),
    SettingSpec(
        "COMMUNITY_OIDC_ROLE_GROUPS",
        "",
        "Groups that make staff at first sign-in, e.g. admin=community-admins,moderator=mods,expert=experts.",
    ),
    SettingSpec(
        "COMMUNITY_OIDC_ORG_CLAIM",
        "",
        "Claim naming a partner organisation (its slug): such people join it as partners at first sign-in.",
    ),
    SettingSpec(
        "COMMUNITY_OIDC_TIER_CLAIM",
        "",
        "Claim with the partner tier, recorded on an organisation without one.",
    ),
    SettingSpec(
        "COMMUNITY_OIDC_ORG_ADMIN_GROUP", "", "Group that makes a partner their organisation's admin."
    ),
    SettingSpec(
        "COMMUNITY_OIDC_PASSWORDS",
        "everyone",
        "Who of the company may still sign in with a password: everyone, or admins (experts and "
        "moderators then use single sign-on only; administrators keep a password for when the "
        "provider is down).",
    ),
    # Outgoing mail (community/mail). No SMTP host: every mail is written as a .eml file instead.
    SettingSpec(
        "COMMUNITY_SMTP_HOST",
        None,
        "SMTP server for outgoing mail. Unset: mails are written as .eml files under "
        "<data dir>/mail/outbox and listed at /admin/outbox (development, demo).",
    ),
    SettingSpec("COMMUNITY_SMTP_PORT", "587", "SMTP port (587 with starttls, 465 with tls, 25 plain)."),
    SettingSpec(
        "COMMUNITY_SMTP_SECURITY",
        "starttls",
        "starttls (upgrade after connecting), tls (TLS from the start) or none (a local relay only).",
    ),
    SettingSpec("COMMUNITY_SMTP_USERNAME", None, "SMTP user name, when the server wants one."),
    SettingSpec("COMMUNITY_SMTP_PASSWORD", None, "SMTP password, with COMMUNITY_SMTP_USERNAME."),
    SettingSpec("COMMUNITY_SMTP_TIMEOUT_SECONDS", "30", "Seconds to wait for the SMTP server at each step."),
    SettingSpec(
        "COMMUNITY_MAIL_FROM",
        None,
        "Sender address of every mail. Default: community@ the host of COMMUNITY_BASE_URL.",
    ),
    SettingSpec(
        "COMMUNITY_MAIL_NOTIFY_DELAY_MINUTES",
        "10",
        "A notification is mailed only if it is still unread in the app this many minutes later.",
    ),
    SettingSpec(
        "COMMUNITY_MAIL_RESETS_PER_HOUR",
        "10",
        '"Forgot password" requests per IP address per hour (and at most 3 mails per address an hour).',
    ),
)


def _int(env: Mapping[str, str], name: str, default: str, minimum: int = 1) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


@dataclass(frozen=True)
class OidcSettings:
    """The company's OpenID provider. ``role_groups``: (role, group) pairs, highest role first."""

    issuer: str
    client_id: str
    client_secret: str
    name: str = "company account"
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    role_groups: tuple[tuple[str, str], ...] = ()
    org_claim: str = ""
    tier_claim: str = ""
    org_admin_group: str = ""
    # Company staff who may still sign in with a password: "everyone", or "admins" only.
    passwords: str = "everyone"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    redis_url: str | None
    base_url: str
    company_name: str
    partner_tiers: tuple[str, ...]
    invitation_hours: int = 168
    reset_hours: int = 2
    login_max_failures: int = 5
    login_window_seconds: int = 900
    page_size: int = 20
    posts_per_page: int = 50
    log_level: str = "info"
    flag_threshold: int = 3
    flag_weight_partner: int = 1
    flag_weight_expert: int = 2
    new_account_held_posts: int = 2
    new_account_days: int = 3
    new_account_max_links: int = 2
    posts_per_minute: int = 6
    posts_per_day: int = 200
    posts_per_ip_minute: int = 60
    image_max_kb: int = 1024
    redis_prefix: str = "community"
    live_heartbeat_seconds: int = 25
    live_retention_hours: int = 48
    index_stale_seconds: int = 120
    index_host_forget_hours: int = 72
    live_queue_limit: int = 256
    oidc: OidcSettings | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: int = 30
    mail_from: str = "community@localhost"
    mail_notify_delay_minutes: int = 10
    mail_resets_per_hour: int = 10
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def image_max_bytes(self) -> int:
        return self.image_max_kb * 1024

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, create_dirs: bool = True) -> Settings:
        env = os.environ if env is None else env
        defaults = {spec.name: spec.default for spec in SPECS}
        data_dir = Path(env.get("COMMUNITY_DATA_DIR") or defaults["COMMUNITY_DATA_DIR"]).resolve()
        if create_dirs:
            data_dir.mkdir(parents=True, exist_ok=True)
        database_url = database_url_from_env(env, data_dir)
        tiers = tuple(
            t.strip().lower()
            for t in (env.get("COMMUNITY_PARTNER_TIERS") or defaults["COMMUNITY_PARTNER_TIERS"]).split(",")
            if t.strip()
        )
        if not tiers:
            raise SettingsError("COMMUNITY_PARTNER_TIERS must name at least one tier")
        log_level = (env.get("COMMUNITY_LOG_LEVEL") or "info").lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError("COMMUNITY_LOG_LEVEL must be debug, info, warning or error")
        base_url = (env.get("COMMUNITY_BASE_URL") or defaults["COMMUNITY_BASE_URL"]).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise SettingsError("COMMUNITY_BASE_URL must start with http:// or https://")
        smtp_security = (env.get("COMMUNITY_SMTP_SECURITY") or "starttls").lower()
        if smtp_security not in SMTP_SECURITY:
            raise SettingsError("COMMUNITY_SMTP_SECURITY must be starttls, tls or none")
        mail_from = (
            env.get("COMMUNITY_MAIL_FROM") or f"community@{urlsplit(base_url).hostname or 'localhost'}"
        )
        if "@" not in mail_from or any(c in mail_from for c in "\r\n"):
            raise SettingsError("COMMUNITY_MAIL_FROM must be an e-mail address")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("COMMUNITY_SECRET_KEY") or _stored_secret(data_dir),
            redis_url=env.get("COMMUNITY_REDIS_URL") or None,
            base_url=base_url,
            company_name=env.get("COMMUNITY_COMPANY_NAME") or defaults["COMMUNITY_COMPANY_NAME"],
            partner_tiers=tiers,
            invitation_hours=_int(env, "COMMUNITY_INVITATION_HOURS", "168"),
            reset_hours=_int(env, "COMMUNITY_RESET_HOURS", "2"),
            login_max_failures=_int(env, "COMMUNITY_LOGIN_MAX_FAILURES", "5"),
            login_window_seconds=_int(env, "COMMUNITY_LOGIN_WINDOW_SECONDS", "900"),
            page_size=_int(env, "COMMUNITY_PAGE_SIZE", "20"),
            posts_per_page=_int(env, "COMMUNITY_POSTS_PER_PAGE", "50"),
            log_level=log_level,
            flag_threshold=_int(env, "COMMUNITY_FLAG_THRESHOLD", "3"),
            flag_weight_partner=_int(env, "COMMUNITY_FLAG_WEIGHT_PARTNER", "1", minimum=0),
            flag_weight_expert=_int(env, "COMMUNITY_FLAG_WEIGHT_EXPERT", "2", minimum=0),
            new_account_held_posts=_int(env, "COMMUNITY_NEW_ACCOUNT_HELD_POSTS", "2", minimum=0),
            new_account_days=_int(env, "COMMUNITY_NEW_ACCOUNT_DAYS", "3", minimum=0),
            new_account_max_links=_int(env, "COMMUNITY_NEW_ACCOUNT_MAX_LINKS", "2", minimum=0),
            posts_per_minute=_int(env, "COMMUNITY_POSTS_PER_MINUTE", "6", minimum=0),
            posts_per_day=_int(env, "COMMUNITY_POSTS_PER_DAY", "200", minimum=0),
            posts_per_ip_minute=_int(env, "COMMUNITY_POSTS_PER_IP_MINUTE", "60", minimum=0),
            image_max_kb=_image_max_kb(env),
            redis_prefix=env.get("COMMUNITY_REDIS_PREFIX") or "community",
            live_heartbeat_seconds=_int(env, "COMMUNITY_LIVE_HEARTBEAT_SECONDS", "25"),
            live_retention_hours=_int(env, "COMMUNITY_LIVE_RETENTION_HOURS", "48"),
            index_stale_seconds=_int(env, "COMMUNITY_INDEX_STALE_SECONDS", "120", minimum=1),
            index_host_forget_hours=_int(env, "COMMUNITY_INDEX_HOST_FORGET_HOURS", "72", minimum=1),
            live_queue_limit=_int(env, "COMMUNITY_LIVE_QUEUE_LIMIT", "256", minimum=2),
            oidc=_oidc_settings(env),
            smtp_host=env.get("COMMUNITY_SMTP_HOST") or None,
            smtp_port=_int(env, "COMMUNITY_SMTP_PORT", "587"),
            smtp_security=smtp_security,
            smtp_username=env.get("COMMUNITY_SMTP_USERNAME") or None,
            smtp_password=env.get("COMMUNITY_SMTP_PASSWORD") or None,
            smtp_timeout_seconds=_int(env, "COMMUNITY_SMTP_TIMEOUT_SECONDS", "30"),
            mail_from=mail_from,
            mail_notify_delay_minutes=_int(env, "COMMUNITY_MAIL_NOTIFY_DELAY_MINUTES", "10", minimum=0),
            mail_resets_per_hour=_int(env, "COMMUNITY_MAIL_RESETS_PER_HOUR", "10"),
        )


STAFF_ROLES_HIGHEST_FIRST = ("admin", "moderator", "expert")


def _image_max_kb(env: Mapping[str, str]) -> int:
    value = _int(env, "COMMUNITY_IMAGE_MAX_KB", "1024")
    if value > 1900:
        raise SettingsError(f"COMMUNITY_IMAGE_MAX_KB must be at most 1900, not {value}")
    return value


def _oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    issuer = (env.get("COMMUNITY_OIDC_ISSUER") or "").strip().rstrip("/")
    if not issuer:
        return None
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise SettingsError("COMMUNITY_OIDC_ISSUER must be an https:// URL (http only for localhost)")
    client_id = (env.get("COMMUNITY_OIDC_CLIENT_ID") or "").strip()
    secret = env.get("COMMUNITY_OIDC_CLIENT_SECRET") or ""
    if not client_id or not secret:
        raise SettingsError(
            "COMMUNITY_OIDC_ISSUER needs COMMUNITY_OIDC_CLIENT_ID and COMMUNITY_OIDC_CLIENT_SECRET"
        )
    scopes = env.get("COMMUNITY_OIDC_SCOPES") or "openid email profile"
    if not {"openid", "email"} <= set(scopes.split()):
        raise SettingsError("COMMUNITY_OIDC_SCOPES must include openid and email")
    pairs: dict[str, str] = {}
    for item in (env.get("COMMUNITY_OIDC_ROLE_GROUPS") or "").split(","):
        if not item.strip():
            continue
        role, sep, group = item.partition("=")
        role = role.strip().lower()
        if not sep or role not in STAFF_ROLES_HIGHEST_FIRST or not group.strip():
            raise SettingsError(
                "COMMUNITY_OIDC_ROLE_GROUPS must look like admin=group,moderator=group,expert=group"
            )
        pairs[role] = group.strip()
    passwords = (env.get("COMMUNITY_OIDC_PASSWORDS") or "everyone").strip().lower()
    if passwords not in ("everyone", "admins"):
        raise SettingsError(f"COMMUNITY_OIDC_PASSWORDS must be everyone or admins, not {passwords!r}")
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        name=(env.get("COMMUNITY_OIDC_NAME") or "company account").strip(),
        scopes=scopes,
        groups_claim=(env.get("COMMUNITY_OIDC_GROUPS_CLAIM") or "groups").strip(),
        role_groups=tuple((r, pairs[r]) for r in STAFF_ROLES_HIGHEST_FIRST if r in pairs),
        org_claim=(env.get("COMMUNITY_OIDC_ORG_CLAIM") or "").strip(),
        tier_claim=(env.get("COMMUNITY_OIDC_TIER_CLAIM") or "").strip(),
        org_admin_group=(env.get("COMMUNITY_OIDC_ORG_ADMIN_GROUP") or "").strip(),
        passwords=passwords,
    )


def database_url_from_env(env: Mapping[str, str] | None = None, data_dir: Path | None = None) -> str:
    """The database URL alone (used by the migration tooling, which needs no secret)."""
    env = os.environ if env is None else env
    if data_dir is None:
        data_dir = Path(env.get("COMMUNITY_DATA_DIR") or "./data").resolve()
    url = env.get("COMMUNITY_DATABASE_URL") or f"sqlite://{data_dir / 'community.sqlite3'}"
    if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise SettingsError("COMMUNITY_DATABASE_URL must start with sqlite://, postgres:// or postgresql://")
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    return url


def _stored_secret(data_dir: Path) -> str:
    """Read the generated key, creating it (mode 0600) on first start."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
