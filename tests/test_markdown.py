"""Rendering and sanitising posts (community/markdown.py): what is kept of what people write."""

from __future__ import annotations

from community.markdown import render_markdown, sanitize_html


def test_headings_in_a_post_sit_under_the_page_title_without_skipping_a_level() -> None:
    # "### Answer" under the page's h1 was an h3: axe-core's heading-order on every promoted article.
    assert render_markdown("### Question\n\ntext\n\n### Answer\n\nmore") == (
        "<h2>Question</h2>\n<p>text</p>\n<h2>Answer</h2>\n<p>more</p>\n"
    )
    assert render_markdown("# Big\n\n#### Small\n\n## Middle") == (
        "<h2>Big</h2>\n<h4>Small</h4>\n<h3>Middle</h3>\n"
    )
    assert (
        render_markdown("no heading, <h3>kept as text</h3>")
        == "<p>no heading, &lt;h3&gt;kept as text&lt;/h3&gt;</p>\n"
    )
    assert (
        sanitize_html("<h5 onclick='x()'>Imported</h5><h6>deeper</h6>") == "<h2>Imported</h2><h3>deeper</h3>"
    )
