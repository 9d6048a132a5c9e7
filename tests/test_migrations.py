"""The migrations in community/migrations describe the models exactly, in one line of history:
several branches add migrations at once, and a merge that forgets one (or leaves two leaves)
would otherwise be found by the first operator who upgrades."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from community.db import APP_LABEL, tortoise_config


async def test_makemigrations_would_write_nothing(db) -> None:
    apps_config = tortoise_config(db.database_url)["apps"]
    detector = MigrationAutodetector(Tortoise.apps, apps_config)
    pending = [op for writer in await detector.changes() for op in writer.operations]
    assert pending == [], "models changed without a migration: run `tortoise makemigrations`"


async def test_the_migrations_form_one_line(db) -> None:
    detector = MigrationAutodetector(Tortoise.apps, tortoise_config(db.database_url)["apps"])
    await detector.loader.build_graph()
    leaves = [key.name for key in detector.loader.graph.leaf_nodes() if key.app_label == APP_LABEL]
    assert len(leaves) == 1, f"several last migrations: {leaves}; make one depend on the other"
