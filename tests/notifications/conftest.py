"""Notification tests use the API tests' client: every /api/v1 answer is checked against the
OpenAPI document (pages are unaffected)."""

from tests.api.conftest import client  # noqa: F401
