"""Markdown source -> sanitised HTML. All sanitising lives here (one allowlist) so the sanitiser
can be swapped without touching callers. Run at save time, never when a page is shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape as _unescape
from html.parser import HTMLParser

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "a", "img",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr",
        "th", "td", "sup", "sub", "kbd",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MENTION_RE = re.compile(r"@([A-Za-z0-9][A-Za-z0-9_.-]{0,38}[A-Za-z0-9_]|[A-Za-z0-9])")
LINK_REL = "nofollow ugc noopener"
UPLOADED_IMAGE = re.compile(r"^/images/[0-9a-f]{40}\.(?:png|jpg)$")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in {"href", "title", "class"} and (name != "class" or value == "mention")
    if tag == "img":
        if name == "src":  # elsewhere over https, or uploaded here (community/images.py names them)
            return value.lower().startswith("https://") or UPLOADED_IMAGE.match(value) is not None
        return name in {"alt", "title"}
    if tag == "code":
        return name == "class" and value.startswith("language-")
    if tag == "ol":
        return name == "start"
    return False


def _set_rel(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[
        lambda source: LinkifyFilter(
            source, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False
        )
    ],
)


def _mention(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``@handle`` becomes a profile link when ``env["mention_url"]`` knows it."""
    pos = state.pos
    if state.src[pos] != "@":
        return False
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_."):
        return False  # part of an e-mail address, not a mention
    resolve = state.env.get("mention_url")
    match = MENTION_RE.match(state.src, pos)
    if resolve is None or match is None:
        return False
    url = resolve(match.group(1))
    if url is None:
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": url, "class": "mention"}
        text = state.push("text", "", 0)
        text.content = match.group(0)
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


_md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_md.inline.ruler.before("emphasis", "mention", _mention)


def find_mentions(source: str) -> set[str]:
    """Handles written as @handle anywhere in the source (a superset: code blocks included)."""
    return {m.group(1).lower() for m in MENTION_RE.finditer(source)}


def render_markdown(source: str, mention_url: Callable[[str], str | None] | None = None) -> str:
    """Render Markdown and sanitise the result. ``mention_url`` maps a handle to its profile URL,
    or to None when nobody has that handle."""
    return sanitize_html(_md.render(source, {"mention_url": mention_url}))


def sanitize_html(html: str) -> str:
    """Sanitise HTML from any source (rendered Markdown, imported bodies)."""
    return outline_headings(_cleaner.clean(html))


_BODY_HEADING = re.compile(r"<(/?)h([1-6])>")


def outline_headings(html: str) -> str:
    """Headings in someone's text sit under the page's own title (its only h1): the levels the
    text uses become h2, h3... in the same order, so "### Answer" under the title is an h2 and a
    screen reader's outline skips no level (axe-core's heading-order). Sanitised HTML carries no
    attributes on headings, so the tags are exactly ``<hN>``."""
    levels = sorted({int(level) for _, level in _BODY_HEADING.findall(html)})
    if not levels:
        return html
    outline = {level: min(2 + rank, 6) for rank, level in enumerate(levels)}
    return _BODY_HEADING.sub(lambda m: f"<{m.group(1)}h{outline[int(m.group(2))]}>", html)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]
        elif tag == "img":
            self.images += [v for name, v in attrs if name == "src" and v and UPLOADED_IMAGE.match(v)]


def link_targets(html: str) -> list[str]:
    """The addresses of the links in rendered HTML, as written in it (the new-account link limit
    counts what the page will show as links, not what the source seems to say). Images uploaded
    here count too, as ``upload:/images/KEY``: each is something a new account could not post
    before, and the limit counts them like links to elsewhere."""
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return parser.hrefs + [f"upload:{src}" for src in parser.images]


_docs_md = MarkdownIt("commonmark", {"html": False}).enable(["table"])
_HEADING = re.compile(r"<h([23])>(.*?)</h\1>")


def render_document(source: str) -> tuple[str, list[tuple[str, str]]]:
    """Our own documentation (docs/*.md, trusted: no mentions, no sanitising needed beyond
    Markdown's own escaping with raw HTML off) as HTML whose section headings carry ids, and the
    (id, title) of each second-level section for a table of contents."""
    sections: list[tuple[str, str]] = []
    used: set[str] = set()

    def anchor(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        text = _unescape(re.sub(r"<[^>]+>", "", inner))
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
        while slug in used:
            slug += "-"
        used.add(slug)
        if level == "2":
            sections.append((slug, text))
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    return _HEADING.sub(anchor, _docs_md.render(source)), sections
