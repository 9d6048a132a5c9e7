"""The search box language: each operator, and strings that must never raise."""

from __future__ import annotations

import random
import string
from datetime import date

import pytest

from search_index.query import MAX_WORDS, QUERY_HELP, ParsedQuery, QueryError, parse_query


def parsed(q: str) -> ParsedQuery:
    result = parse_query(q)
    assert isinstance(result, ParsedQuery), result
    return result


def test_free_words_are_folded_and_deduplicated() -> None:
    p = parsed("Espresso  CRÈME espresso")
    assert p.words == ("espresso", "creme")
    assert p.has_text


def test_exact_phrase_and_single_quoted_word() -> None:
    p = parsed('"milk frother" "grinder"')
    assert p.phrases == (("milk", "frother"),)
    assert p.words == ("grinder",)


def test_excluded_words_and_phrases() -> None:
    p = parsed('grinder -decaf -"hand grinder"')
    assert p.words == ("grinder",)
    assert p.excluded_words == ("decaf",)
    assert p.excluded_phrases == (("hand", "grinder"),)


@pytest.mark.parametrize(
    ("q", "attr", "value"),
    [
        ("tag:Grinder", "tags", ("grinder",)),
        ('tag:"pour over"', "tags", ("pour-over",)),
        ("category:support", "categories", ("support",)),
        ("author:Alice", "authors", ("alice",)),
        ("org:acme-gmbh", "orgs", ("acme-gmbh",)),
    ],
)
def test_value_operators(q: str, attr: str, value: tuple[str, ...]) -> None:
    assert getattr(parsed(q), attr) == value


@pytest.mark.parametrize("flag", ["solved", "unanswered", "article"])
def test_is_operators(flag: str) -> None:
    assert parsed(f"is:{flag}").flags == {flag}
    assert parsed(f"-is:{flag}").excluded_flags == {flag}
    assert parsed(f"IS:{flag.upper()}").flags == {flag}


def test_dates() -> None:
    p = parsed("after:2024-01-31 before:2024-05-31 crema")
    assert p.after == date(2024, 1, 31)
    assert p.before == date(2024, 5, 31)
    assert p.words == ("crema",)


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("before:yesterday", "before: needs a date like 2024-05-31"),
        ("after:2024-02-30", "after: needs a date like 2024-05-31"),
        ("is:closed", "is: can be is:solved, is:unanswered or is:article"),
        ("tag:", "tag: needs a value, like tag:firmware"),
        ("author:", "author: needs a value, like author:alice"),
    ],
)
def test_clear_messages(q: str, message: str) -> None:
    result = parse_query(q)
    assert isinstance(result, QueryError)
    assert result.message == message


def test_unknown_operators_are_words() -> None:
    assert parsed("error:404 pump").words == ("error", "404", "pump")


def test_unbalanced_quote_reads_to_the_end() -> None:
    assert parsed('"steam wand').phrases == (("steam", "wand"),)


def test_only_operators_and_punctuation() -> None:
    assert parsed("is:solved tag:milk").is_empty is False
    assert parsed(" - \" : ' ").is_empty
    assert parsed("").is_empty


def test_long_queries_are_cut() -> None:
    p = parsed(" ".join(f"word{i}" for i in range(2000)))
    assert len(p.words) == MAX_WORDS


def test_help_lists_every_operator() -> None:
    text = " ".join(syntax for syntax, _ in QUERY_HELP)
    for op in ("tag:", "category:", "author:", "org:", "is:solved", "is:unanswered", "is:article"):
        assert op in text
    assert "before:" in text and "after:" in text and '"' in text and "-" in text


def test_random_strings_never_raise() -> None:
    rng = random.Random(4)
    alphabet = string.printable + '"-:éß\x00\x01\u200b\ud800\U0001f600'
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(2000)]
    samples += ["x" * 10_000, '"' * 5000, "tag:" * 3000, "\x00" * 10_000, "-" * 10_000, None]
    for q in samples:
        result = parse_query(q)  # type: ignore[arg-type]
        assert isinstance(result, ParsedQuery | QueryError)
