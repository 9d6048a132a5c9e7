"""Fixtures of the dashboard area: API answers checked against the OpenAPI document (the indexer
over the app's own index comes from tests/conftest.py)."""

from tests.api.conftest import client  # noqa: F401 (every answer checked against the document)
