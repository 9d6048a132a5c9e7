"""Reading a Stack Exchange ``Posts.xml`` dump into plain questions and answers (no database)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from community import validation
from community.errors import Invalid, NotFound

QUESTION, ANSWER = "1", "2"


# Dumps until 2023 write a question's tags as "<bgp><firmware-upgrade>", later ones as
# "|bgp|firmware-upgrade|".
_TAG_RE = re.compile(r"<([^<>]+)>")


_SITE_RE = re.compile(r"[^a-z0-9.-]+")


Progress = Callable[[int, int], None]
"""Called with (questions done so far, questions in the file)."""


@dataclass
class ImportReport:
    site: str
    category: str
    category_created: bool = False
    threads: int = 0
    answers: int = 0
    accepted: int = 0
    users_created: int = 0
    already_imported: int = 0
    skipped: int = 0
    skipped_reasons: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped += n
        self.skipped_reasons[reason] += n

    def lines(self) -> list[str]:
        """The human report the CLI prints."""
        out = [
            f"Imported from {self.site} into category “{self.category}”"
            + (" (created)" if self.category_created else "")
            + ":",
            f"  threads:        {self.threads}",
            f"  answers:        {self.answers}",
            f"  accepted:       {self.accepted}",
            f"  users created:  {self.users_created}",
            f"  skipped:        {self.skipped + self.already_imported}",
        ]
        if self.already_imported:
            out.append(f"    already imported: {self.already_imported}")
        for reason, n in sorted(self.skipped_reasons.items()):
            out.append(f"    {reason}: {n}")
        return out


@dataclass(frozen=True)
class Owner:
    """A source author: the key that makes the imported account unique, and a display name."""

    key: str
    display_name: str


@dataclass
class SourceAnswer:
    id: str
    body: str
    score: int
    created_at: datetime
    owner: Owner


@dataclass
class SourceQuestion:
    id: str
    title: str
    body: str
    tags: list[str]
    score: int
    created_at: datetime
    owner: Owner
    accepted_id: str | None
    closed: bool
    answers: list[SourceAnswer] = field(default_factory=list)

    @property
    def last_activity_at(self) -> datetime:
        return max([self.created_at, *(a.created_at for a in self.answers)])


def site_from_path(path: Path) -> str:
    """``networking-Posts.xml`` -> ``networking``; ``networking.stackexchange.com/Posts.xml`` too."""
    stem = path.stem
    for suffix in ("-posts", "_posts", ".posts", "posts"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if not stem:
        stem = path.resolve().parent.name.split(".")[0]
    return normalise_site(stem) or "site"


def normalise_site(site: str) -> str:
    return _SITE_RE.sub("-", site.strip().lower()).strip("-.")[:30]


def _owner(row: dict[str, str]) -> Owner:
    uid = (row.get("OwnerUserId") or "").strip()
    name = " ".join(validation.clean_text(row.get("OwnerDisplayName") or "").split())[: validation.NAME_MAX]
    if uid and uid.lstrip("-").isdigit():
        return Owner(f"u{uid}", name or f"user{uid}")
    if name:
        return Owner("n-" + (validation.slugify(name, 40) or "x"), name)
    return Owner("anonymous", "Anonymous")


def _date(raw: str) -> datetime:
    value = datetime.fromisoformat(raw)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_tags(raw: str) -> list[str]:
    """Stack Exchange tags (``<bgp><firmware-upgrade>``, or ``|bgp|firmware-upgrade|`` in later
    dumps) under our tag rules: a tag that does not fit is dropped rather than failing the question;
    at most ``TAGS_MAX`` are kept."""
    raw = raw or ""
    names = _TAG_RE.findall(raw) if "<" in raw else [n for n in raw.split("|") if n.strip()]
    result: list[str] = []
    for name in names:
        fields: dict[str, str] = {}
        for tag in validation.tags([name], fields):
            if not fields and tag not in result:
                result.append(tag)
    return result[: validation.TAGS_MAX]


def read_posts(path: Path, report: ImportReport) -> list[SourceQuestion]:
    """Questions with their answers, in file order. Rows that are neither, or that cannot be
    read, are counted as skipped. A file that is not a Posts.xml raises ``Invalid``."""
    questions: dict[str, SourceQuestion] = {}
    answers: list[tuple[str, SourceAnswer]] = []
    root_seen = False
    try:
        for event, elem in ET.iterparse(str(path), events=("start", "end")):
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if elem.tag != "posts":
                        raise Invalid(
                            {"file": f"{path} is not a Stack Exchange Posts.xml (its root is <{elem.tag}>)."},
                            "Not a Stack Exchange Posts.xml file.",
                        )
                continue
            if elem.tag != "row":
                continue
            row = dict(elem.attrib)
            elem.clear()
            _read_row(row, questions, answers, report)
    except ET.ParseError as exc:
        raise Invalid({"file": f"{path} is not well-formed XML ({exc})."}, "Malformed XML file.") from None
    except FileNotFoundError:
        raise NotFound(f"No such file: {path}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise Invalid({"file": f"Cannot read {path}: {exc}."}, "Cannot read the file.") from None
    for parent_id, answer in answers:
        question = questions.get(parent_id)
        if question is None:
            report.skip("answers to questions not in the file")
        else:
            question.answers.append(answer)
    return list(questions.values())


def _read_row(
    row: dict[str, str],
    questions: dict[str, SourceQuestion],
    answers: list[tuple[str, SourceAnswer]],
    report: ImportReport,
) -> None:
    kind = row.get("PostTypeId")
    if kind not in (QUESTION, ANSWER):
        report.skip("other post types (tag wikis, ...)")
        return
    try:
        post_id = row["Id"]
        body = row.get("Body") or ""
        score = int(row.get("Score") or 0)
        created_at = _date(row["CreationDate"])
    except (KeyError, ValueError):
        report.skip("rows that could not be read")
        return
    if kind == QUESTION:
        title = " ".join(validation.clean_text(row.get("Title") or "").split())[:200]
        if not title:
            report.skip("questions without a title")
            return
        questions[post_id] = SourceQuestion(
            id=post_id,
            title=title,
            body=body,
            tags=normalise_tags(row.get("Tags") or ""),
            score=score,
            created_at=created_at,
            owner=_owner(row),
            accepted_id=row.get("AcceptedAnswerId") or None,
            closed=bool(row.get("ClosedDate")),
        )
    elif row.get("ParentId"):
        answers.append((row["ParentId"], SourceAnswer(post_id, body, score, created_at, _owner(row))))
    else:
        report.skip("rows that could not be read")
