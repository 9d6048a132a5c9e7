"""Watched words and the confidentiality starter set, on plain text (no database)."""

from __future__ import annotations

import pytest

from moderation.rules.content import CompiledWords, WatchedWordRule, evaluate, normalise


def words(*rules: tuple[str, str], regex: bool = False, cats: tuple[int, ...] = ()) -> CompiledWords:
    return CompiledWords(
        tuple(WatchedWordRule(i, p, regex, a, cats) for i, (p, a) in enumerate(rules, start=1))
    )


@pytest.mark.parametrize(
    "text",
    [
        "Buy spam here",
        "Buy SPAM here",
        "Buy \uff53\uff50\uff41\uff4d here",  # full-width letters
        "Buy spâm here",
        "Buy s\u200bp\u200ca\u2060m here",  # zero-width characters
        "Buy spaaaaam here",
        "Buy s.p.a.m here",
    ],
)
def test_obfuscated_variants_still_match(text: str) -> None:
    verdict = evaluate(text, words(("spam", "block")), 1, confidentiality=False)
    assert verdict.action == "block" and verdict.reason == "Watched word: spam"


def test_whole_words_only_and_the_strongest_action_wins() -> None:
    compiled = words(("spam", "flag"), ("scam", "block"), ("darn", "censor"))
    assert evaluate("Spamalot tickets", compiled, 1, confidentiality=False).action is None
    assert evaluate("spam and a scam", compiled, 1, confidentiality=False).action == "block"
    assert evaluate("just spam", compiled, 1, confidentiality=False).action == "flag"


def test_censor_masks_the_word_and_keeps_the_rest() -> None:
    verdict = evaluate("What a DAAARN mess, darn it", words(("darn", "censor")), 1, confidentiality=False)
    assert verdict.action == "censor"
    assert verdict.censored_text == "What a ■■■■■■ mess, ■■■■ it"


def test_hold_and_regex_and_category_scope() -> None:
    compiled = words((r"\bcust(omer)?[- ]?id\s*\d+", "hold"), regex=True, cats=(7,))
    assert evaluate("See customer-id 4411", compiled, 7, confidentiality=False).action == "hold"
    assert evaluate("See customer-id 4411", compiled, 8, confidentiality=False).action is None


@pytest.mark.parametrize(
    "text",
    [
        "We got a 12% discount on the core switches.",
        "Our margin is 18 percent on that line.",
        "Net price was $4,200 per unit.",
        "Rebate of 1.500 EUR after the quarter.",
        "They offered 30% off for the tender.",
        "€900 special price for gold partners",
        "The dis\u200bcount was 15 %",
    ],
)
def test_confidentiality_starter_set_holds_prices_and_terms(text: str) -> None:
    verdict = evaluate(text, words(), 1, confidentiality=True)
    assert verdict.action == "hold", text
    assert "confidential" in verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "How do I register a deal for a tender?",
        "The switch has 48 ports and costs less than the router.",
        "Is there a discount programme for schools?",
        "Upgrade to firmware 12.4 fixed it.",
    ],
)
def test_confidentiality_leaves_ordinary_questions_alone(text: str) -> None:
    assert evaluate(text, words(), 1, confidentiality=True).action is None


def test_normalise() -> None:
    assert normalise("Ｃａｆé\u200b  Looook") == "cafe  lok"
