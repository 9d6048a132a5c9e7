"""Rules that act on a new post before a human does: watched words and the starter rule sets.

Matching runs on a normalised copy of the text (compatibility forms folded, accents and
zero-width characters dropped, case folded, letter runs collapsed), so that simple obfuscation
such as full-width letters, "spâm", "s\u200bpam" or "spaaam" does not evade a watched word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from community.models import WatchedAction

# Strongest first: the verdict is the strongest action any rule asks for.
STRENGTH = {WatchedAction.BLOCK: 4, WatchedAction.HOLD: 3, WatchedAction.FLAG: 2, WatchedAction.CENSOR: 1}
CONFIDENTIALITY = "confidentiality"
# The reasons a verdict gives (review items keep them; ``moderation.held`` explains them to authors).
CONFIDENTIAL_REASON = "Possibly confidential: prices, discounts or margins"
WATCHED_WORD_REASON = "Watched word: "
_INVISIBLE = re.compile(r"[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_REPEATS = re.compile(r"(\w)\1+")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SEPARATED = re.compile(r"(?<=\b\w)[.\-_*](?=\w\b)")  # s.p.a.m -> spam


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


def normalise(text: str, folded: str | None = None) -> str:
    """The form watched words are matched in (also applied to the words themselves)."""
    return _REPEATS.sub(r"\1", _SEPARATED.sub("", fold(text) if folded is None else folded))


@dataclass(frozen=True, slots=True)
class WatchedWordRule:
    id: int
    pattern: str
    is_regex: bool
    action: str
    category_ids: tuple[int, ...] = ()

    def applies_in(self, category_id: int | None) -> bool:
        return not self.category_ids or category_id in self.category_ids


@dataclass(frozen=True, slots=True)
class Match:
    pattern: str
    action: str
    rule: str  # "watched word" or a starter rule set's name


@dataclass(frozen=True, slots=True)
class Verdict:
    """The strongest action asked for (None: nothing matched), what matched, and for 'censor'
    the text with the matches masked."""

    action: str | None = None
    matches: tuple[Match, ...] = ()
    censored_text: str | None = None

    @property
    def reason(self) -> str:
        if not self.matches:
            return ""
        strongest = [m for m in self.matches if m.action == self.action] or list(self.matches)
        first = strongest[0]
        if first.rule == CONFIDENTIALITY:
            return CONFIDENTIAL_REASON
        return f"{WATCHED_WORD_REASON}{first.pattern}"


# Amounts of money, and words that make an amount someone's commercial terms.
_MONEY = (
    r"(?:[$€£¥]\s?\d[\d,. ]*\d?k?|\d[\d,.]*\s?(?:k\s?)?(?:usd|eur|gbp|chf|sek|dkk|nok|dollars?|euros?|"
    r"pounds?|[$€£¥])(?!\w))"
)
_PERCENT = r"\d+(?:[.,]\d+)?\s?(?:%|percent|per cent)"
_TERMS = (
    r"(?:discount(?:ed|s)?|margins?|rebates?|net price|buy price|cost price|special price|deal price|"
    r"mark-?up|commission|kickback|price list)"
)
CONFIDENTIALITY_PATTERNS = (
    re.compile(rf"{_TERMS}\W+(?:\w+\W+){{0,6}}?(?:{_MONEY}|{_PERCENT})"),
    re.compile(rf"(?:{_MONEY}|{_PERCENT})\W+(?:\w+\W+){{0,6}}?{_TERMS}"),
    re.compile(rf"{_PERCENT}\s+off\b"),
)


def confidentiality_matches(text: str, folded: str | None = None) -> list[Match]:
    """The starter set for channel conflict: currency amounts or percentages next to words like
    discount, margin, rebate, net price, or '% off'. Runs on the folded text (no letter collapsing:
    digits like 1000 must stay as they are)."""
    folded = fold(text) if folded is None else folded
    if not _DIGIT.search(folded):
        return []
    found = []
    for pattern in CONFIDENTIALITY_PATTERNS:
        m = pattern.search(folded)
        if m:
            found.append(Match(m.group(0).strip(), WatchedAction.HOLD, CONFIDENTIALITY))
    return found[:1]


@dataclass
class CompiledWords:
    """Plain words and phrases looked up by their normalised words (a set lookup per word of the
    post, however many words are watched); regex patterns kept apart."""

    rules: tuple[WatchedWordRule, ...]
    _words: dict[tuple[str, ...], list[WatchedWordRule]] = field(default_factory=dict)
    _lengths: tuple[int, ...] = ()
    _regex: list[tuple[WatchedWordRule, re.Pattern[str]]] = field(default_factory=list)
    # One alternation of every lower-case regex without backreferences, run on the folded text: a
    # post that matches none of them (nearly all) costs one scan instead of one per pattern.
    _prefilter: re.Pattern[str] | None = None
    _unfiltered: list[tuple[WatchedWordRule, re.Pattern[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for rule in self.rules:
            if rule.is_regex:
                try:
                    self._regex.append((rule, re.compile(rule.pattern, re.IGNORECASE)))
                except re.error:
                    continue  # refused when saved; an old bad row must not break posting
            else:
                key = tuple(_WORD.findall(normalise(rule.pattern)))
                if key:
                    self._words.setdefault(key, []).append(rule)
        self._lengths = tuple(sorted({len(k) for k in self._words}))
        simple = [
            pair
            for pair in self._regex
            if pair[0].pattern == pair[0].pattern.lower() and not re.search(r"\\\d|\(\?P=", pair[0].pattern)
        ]
        try:
            self._prefilter = (
                re.compile("|".join(f"(?:{rule.pattern})" for rule, _ in simple)) if simple else None
            )
        except re.error:
            self._prefilter, simple = None, []
        chosen = {id(pair) for pair in simple}
        self._unfiltered = [pair for pair in self._regex if id(pair) not in chosen]

    def matches(
        self, text: str, category_id: int | None, folded: str | None = None
    ) -> list[tuple[Match, str]]:
        """(match, matched words in the normalised form) for every rule that applies."""
        found: list[tuple[Match, str]] = []
        folded = fold(text) if folded is None else folded
        if self._words:
            tokens = _WORD.findall(normalise(text, folded))
            for n in self._lengths:
                for i in range(len(tokens) - n + 1):
                    key = tuple(tokens[i : i + n]) if n > 1 else (tokens[i],)
                    for rule in self._words.get(key, ()):
                        if rule.applies_in(category_id):
                            found.append((Match(rule.pattern, rule.action, "watched word"), " ".join(key)))
        if self._regex:
            hit = self._prefilter is not None and self._prefilter.search(folded) is not None
            for rule, regex in self._regex if hit else self._unfiltered:
                if rule.applies_in(category_id):
                    m = regex.search(folded)
                    if m:
                        found.append((Match(rule.pattern, rule.action, "watched word"), m.group(0)))
        return found


def censor(text: str, words: Iterable[str]) -> str:
    """Mask each censored word where it appears (compared in normalised form, letter by letter)."""
    targets = {w for w in words if w}
    if not targets:
        return text

    def mask(m: re.Match[str]) -> str:
        return "■" * len(m.group(0)) if normalise(m.group(0)) in targets else m.group(0)

    return re.sub(r"[\w\u00ad\u200b-\u200f\u2060\ufeff.\-_*]+", mask, text)


def evaluate(
    text: str,
    words: CompiledWords,
    category_id: int | None,
    *,
    confidentiality: bool,
) -> Verdict:
    folded = fold(text)
    found = words.matches(text, category_id, folded)
    matches = [m for m, _ in found]
    if confidentiality:
        matches += confidentiality_matches(text, folded)
    if not matches:
        return Verdict()
    action = max((m.action for m in matches), key=lambda a: STRENGTH.get(a, 0))
    censored = None
    if action == WatchedAction.CENSOR:
        censored = censor(text, [norm for m, norm in found if m.action == WatchedAction.CENSOR])
    return Verdict(action=action, matches=tuple(matches), censored_text=censored)


def rules_from_rows(rows: Sequence[dict]) -> tuple[WatchedWordRule, ...]:
    return tuple(
        WatchedWordRule(
            id=r["id"],
            pattern=r["pattern"],
            is_regex=bool(r["is_regex"]),
            action=r["action"],
            category_ids=tuple(r["category_ids"] or ()),
        )
        for r in rows
    )
