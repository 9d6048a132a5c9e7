"""JSON API under /api/v1: thin endpoints over the same use cases as the HTML views."""
