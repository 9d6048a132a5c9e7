from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("community", "0004_announcements")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ScheduledJob",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=40)),
                ("key", fields.CharField(unique=True, max_length=200)),
                (
                    "payload",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("due_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.TextField(default="", unique=False)),
                (
                    "done_at",
                    fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("failed", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "scheduled_job",
                "app": "community",
                "indexes": [Index(fields=["done_at", "due_at"])],
                "pk_attr": "id",
                "table_description": "One piece of due work, named by a unique key so that scheduling it twice is harmless.",
            },
            bases=["Model"],
        ),
    ]
