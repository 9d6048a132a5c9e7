"""What the engine package must never contain: an import from the app, or a word of one community."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import search_index

PACKAGE = Path(search_index.__file__).parent
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


def test_no_corpus_word_in_the_engine() -> None:
    found = [
        f"{path.name}:{n}: {m.group(0)}"
        for path in modules()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for m in CORPUS_WORDS.finditer(line)
    ]
    assert found == []
