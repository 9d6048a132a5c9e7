"""What the engine package must never contain: an import from the app; and what no product code may
contain: a word of the one community our tests and benchmarks use."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import search_index

PACKAGE = Path(search_index.__file__).parent
REPO = PACKAGE.parent
# Product code: the packages, the templates and the scripts the pages load.
PRODUCT = ["community", "moderation", "search_index", "templates", "static"]
# Words of the coffee Stack Exchange data the tests and benchmarks use: the engine serves any
# community, so none of them belongs in its code (tests may use them freely).
CORPUS_WORDS = re.compile(
    r"\b(coffee|espresso|grinders?|beans?|roast\w*|brew\w*|latte|cappuccino|arabica|robusta|aeropress"
    r"|french press|kettle|caffeine|decaf|barista|crema|portafilter|moka|chemex|nespresso|keurig)\b",
    re.IGNORECASE,
)


def modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def test_search_index_imports_nothing_from_community() -> None:
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n == "community" or n.startswith("community.")]
    assert found == []


def product_files() -> list[Path]:
    return sorted(
        path
        for folder in PRODUCT
        for path in (REPO / folder).rglob("*")
        if path.suffix in (".py", ".html", ".js", ".css") and "migrations" not in path.parts
    )


def test_no_corpus_word_in_product_code() -> None:
    files = product_files()
    assert len(files) > 100  # the walk found the product
    found = [
        f"{path.relative_to(REPO)}:{n}: {m.group(0)}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for m in CORPUS_WORDS.finditer(line)
    ]
    assert found == []
