"""docs/api.md names every operation of the OpenAPI document, and nothing the API does not have."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.conftest import DOC

API_MD = Path(__file__).resolve().parent.parent.parent / "docs" / "api.md"
# `GET /api/v1/threads/{id}` anywhere in the text (tables, paragraphs); parameters by any name.
_MENTION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`\s?]*)")


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def documented_operations() -> set[tuple[str, str]]:
    return {(method, _shape(path)) for method, path in _MENTION.findall(API_MD.read_text())}


def openapi_operations() -> set[tuple[str, str]]:
    return {(method.upper(), _shape(path)) for path, ops in DOC["paths"].items() for method in ops}


def test_docs_api_md_covers_every_operation_of_the_openapi_document() -> None:
    missing = sorted(openapi_operations() - documented_operations())
    assert not missing, f"operations missing from docs/api.md: {missing}"


def test_docs_api_md_names_no_operation_the_api_does_not_have() -> None:
    unknown = sorted(documented_operations() - openapi_operations())
    assert not unknown, f"docs/api.md names operations the API does not have: {unknown}"
