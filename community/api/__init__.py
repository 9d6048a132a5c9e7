"""JSON API under /api/v1: thin endpoints over the same services as the HTML views."""
