"""What the index reads of a post: its text, as a reader would see it."""

from __future__ import annotations

from community.search.sources import plain_text


def test_inline_markup_leaves_no_stray_spaces() -> None:
    html = (
        '<p>It was rejected as a <em>duplicate</em>. See <a href="/x">the <strong>rules</strong></a>, '
        "v<sup>2</sup>.</p>"
    )
    assert plain_text(html) == "It was rejected as a duplicate. See the rules, v2."


def test_blocks_stay_apart_and_entities_are_text() -> None:
    html = "<p>First</p><p>Second</p><ul><li>one</li><li>two</li></ul><pre><code>&lt;script&gt;</code></pre>"
    assert plain_text(html) == "First Second one two <script>"
    assert plain_text("<p>a<br>b</p>") == "a b"
