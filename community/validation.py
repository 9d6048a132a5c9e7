"""Field validation shared by every use case that takes user text."""

from __future__ import annotations

import re
import unicodedata

from community.errors import Invalid

TITLE_MIN, TITLE_MAX = 8, 150
BODY_MIN, BODY_MAX = 2, 40_000
NAME_MAX = 80
ORG_NAME_MAX = 120
DESCRIPTION_MAX = 500
# Why a moderator or an administrator acted (audit log, notices); a note on an edit.
REASON_MAX = 500
EDIT_NOTE_MAX = 200
BIO_MAX = 2_000
TAG_MAX_LEN, TAGS_MAX = 30, 5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TAG_OK = re.compile(r"^[a-z0-9][a-z0-9+#.-]*$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")

# Ids are 32-bit integers in the database: a larger number names nothing, and the databases answer
# it with an error (SQLite: overflow; PostgreSQL: out of range) rather than with no rows.
MAX_ID = 2**31 - 1


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# A field an edit leaves out (the API's PATCH): its current value stays. None cannot say it: for
# some fields a JSON null means "empty it" (an article's summary) or is refused (a title).
KEEP = _Keep()


def clean_text(value: object) -> str:
    """Normalise Unicode, drop control and invisible characters (keeps newlines and tabs)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("text expected")
    return _CONTROL.sub("", unicodedata.normalize("NFC", value))


def can_name_something(value: object, max_len: int = 254) -> bool:
    """Whether ``value`` could be a stored slug, handle, name or e-mail address. Saved text never
    holds control characters (``clean_text``), so a key with one names nothing; and PostgreSQL
    refuses NUL in a query with an error, so such keys must not reach the database at all."""
    if not isinstance(value, str) or len(value) > max_len or _CONTROL.search(value):
        return False
    try:
        value.encode("utf-8")  # lone surrogates cannot be sent to the database either
    except UnicodeEncodeError:
        return False
    return True


def _text(fields: dict[str, str], name: str, value: object, label: str) -> str:
    if value is not None and not isinstance(value, str):
        fields[name] = f"{label} must be text."
        return ""
    return clean_text(value)


def title(value: object, fields: dict[str, str], name: str = "title") -> str:
    text = " ".join(_text(fields, name, value, "The title").split())
    if name in fields:
        return text
    if len(text) < TITLE_MIN:
        fields[name] = f"The title needs at least {TITLE_MIN} characters: say what you want to know."
    elif len(text) > TITLE_MAX:
        fields[name] = f"The title can have at most {TITLE_MAX} characters (it has {len(text)})."
    return text


def body(value: object, fields: dict[str, str], name: str = "body") -> str:
    text = _text(fields, name, value, "The text").strip()
    if name in fields:
        return text
    if not text:
        fields[name] = "Please write something."
    elif len(text) < BODY_MIN:
        fields[name] = f"The text needs at least {BODY_MIN} characters."
    elif len(text) > BODY_MAX:
        fields[name] = f"The text can have at most {BODY_MAX:,} characters (it has {len(text):,})."
    return text


def tags(value: object, fields: dict[str, str], name: str = "tags") -> list[str]:
    """Accepts a list or a comma/space separated string; lowercases, dashes spaces, dedupes."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        raw = re.split(r"[,\s]+", value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        raw = value
    else:
        fields[name] = "Tags must be a list of words."
        return []
    result: list[str] = []
    for item in raw:
        tag = re.sub(r"\s+", "-", clean_text(item).strip().lower())
        if not tag:
            continue
        if len(tag) > TAG_MAX_LEN or not _TAG_OK.match(tag):
            fields[name] = (
                f"“{tag[:40]}” is not a valid tag: use letters, digits, + # . or - "
                f"(at most {TAG_MAX_LEN} characters)."
            )
            return []
        if tag not in result:
            result.append(tag)
    if len(result) > TAGS_MAX:
        fields[name] = f"Use at most {TAGS_MAX} tags."
    return result


def short_text(
    value: object, fields: dict[str, str], name: str, label: str, *, required: bool, max_len: int
) -> str:
    text = " ".join(_text(fields, name, value, label).split())
    if name in fields:
        return text
    if required and not text:
        fields[name] = f"{label} is required."
    elif len(text) > max_len:
        fields[name] = f"{label} can have at most {max_len} characters."
    return text


def email(value: object, fields: dict[str, str], name: str = "email") -> str:
    text = _text(fields, name, value, "The e-mail address").strip().lower()
    if name not in fields and not EMAIL_RE.match(text):
        fields[name] = "Please enter a valid e-mail address."
    return text


def reason(value: object, fields: dict[str, str], *, required: bool = False) -> str:
    """Why a moderator or an administrator acted: recorded in the audit log, often told to the member."""
    return short_text(value, fields, "reason", "The reason", required=required, max_len=REASON_MAX)


def choice(value: object, options: tuple[str, ...] | list[str], fields: dict[str, str], name: str) -> str:
    if not isinstance(value, str) or value not in options:
        fields[name] = f"Choose one of: {', '.join(options)}."
        return ""
    return value


def boolean(value: object, fields: dict[str, str], name: str) -> bool:
    """A yes-or-no field: true or false (JSON), a ticked checkbox ("on", "1") or none (forms)."""
    if value in (None, "", False, "0", "off"):
        return False
    if value is True or value in ("on", "1", "true"):
        return True
    fields[name] = f"{name.capitalize()} is true or false."
    return False


def positive_int(value: object, max_value: int = MAX_ID) -> int | None:
    """A whole number from 1 to ``max_value`` (by default the largest id a column holds), given as
    an int (JSON) or as ASCII digits (forms), else None. Use it for every number people type:
    ``str.isdigit()`` alone accepts "²" and other digits that ``int()`` then refuses with a 500."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(max_value)):
            return None
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max_value:
        return None
    return value


def raise_if(fields: dict[str, str]) -> None:
    if fields:
        raise Invalid(fields)


def slugify(text: str, max_len: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].strip("-")
