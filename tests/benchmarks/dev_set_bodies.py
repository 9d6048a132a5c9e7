"""Selection, style and half of the relevance dev set, and the bodies its queries were written from.

The queries of ``relevance_dev_set.json`` are written by hand from each question's body only; this
script prints those bodies WITHOUT their titles (HTML stripped) so the writer never sees a title,
and fixes every other choice by rule, not by hand (see ``relevance_dev_set.md``):

- coffee: the questions of ``../shared/data/coffee-Posts.xml`` with at least one answer, in Id
  order, minus every third one (positions 3, 6, 9, ... are left out);
- demo: every thread of ``community/demo/content.toml`` whose kind is ``question``, keyed by its
  title (the demo loader stores it unchanged); printed here by number only;
- style: the entries sorted by ``sha256("source:id")``, then styles dealt in a fixed cycle of 20
  (7 question, 7 keywords, 6 paraphrase);
- half: within each style, in the same hash order, alternately ``tune`` and ``heldout``.

    .venv/bin/python tests/benchmarks/dev_set_bodies.py            # print the bodies to write from
    .venv/bin/python tests/benchmarks/dev_set_bodies.py --build F  # F: lines "key<TAB>query" -> JSON
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "coffee-Posts.xml"
DEMO = ROOT / "community" / "demo" / "content.toml"
OUT = Path(__file__).with_name("relevance_dev_set.json")

STYLE_CYCLE = ("question", "keywords", "paraphrase") * 6 + ("question", "keywords")
_TAG = re.compile(r"<[^>]+>")


@dataclass
class Entry:
    source: str
    key: str  # "coffee:<Id>" or "demo:<n>" (n: the question thread's number in the file, from 1)
    id: int | str  # the SE question Id, or the demo thread's title (never printed)
    body: str
    style: str = ""
    half: str = ""


def plain(body: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", body)).split())


def coffee_questions(path: Path = DATA) -> list[dict[str, str]]:
    rows = [row.attrib for row in ET.parse(path).getroot()]
    return sorted((r for r in rows if r.get("PostTypeId") == "1"), key=lambda r: int(r["Id"]))


def select() -> list[Entry]:
    answered = [q for q in coffee_questions() if int(q.get("AnswerCount", "0")) >= 1]
    entries = [
        Entry("coffee", f"coffee:{q['Id']}", int(q["Id"]), plain(q["Body"]))
        for position, q in enumerate(answered, start=1)
        if position % 3 != 0
    ]
    with DEMO.open("rb") as file:
        threads = tomllib.load(file)["threads"]
    questions = [t for t in threads if t.get("kind", "question") == "question"]
    # The set is frozen: demo questions added after it was written (experts, private questions...)
    # stay out, or every entry's style and half would shift.
    written = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else None
    frozen = (
        {e["id"] for e in written if e["source"] == "demo"} if written else {t["title"] for t in questions}
    )
    entries += [
        Entry("demo", f"demo:{n}", t["title"], t["body"])
        for n, t in enumerate(questions, start=1)
        if t["title"] in frozen
    ]
    ordered = sorted(entries, key=lambda e: hashlib.sha256(f"{e.source}:{e.id}".encode()).hexdigest())
    seen: dict[str, int] = {}
    for position, entry in enumerate(ordered):
        entry.style = STYLE_CYCLE[position % len(STYLE_CYCLE)]
        entry.half = ("tune", "heldout")[seen.get(entry.style, 0) % 2]
        seen[entry.style] = seen.get(entry.style, 0) + 1
    return entries


def show(entries: list[Entry]) -> None:
    for entry in entries:
        print(f"=== {entry.key}  [{entry.style}]\n{entry.body}\n")


def build(entries: list[Entry], drafts: Path) -> None:
    queries: dict[str, str] = {}
    for line in drafts.read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, query = line.split("\t", 1)
            queries[key.strip()] = query.strip()
    missing = [e.key for e in entries if e.key not in queries]
    if missing:
        sys.exit(f"no query for {', '.join(missing)}")
    rows = [
        {"source": e.source, "id": e.id, "query": queries[e.key], "style": e.style, "half": e.half}
        for e in entries
    ]
    OUT.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} entries to {OUT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="lines 'key<TAB>query'; writes the JSON")
    args = parser.parse_args()
    entries = select()
    if args.build:
        build(entries, args.build)
    else:
        show(entries)


if __name__ == "__main__":
    main()
