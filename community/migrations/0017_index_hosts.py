from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0016_indexer_lease')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IndexChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('object_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'index_change', 'app': 'community', 'pk_attr': 'id', 'table_description': "One entry of the search index's change log. Ids commit in id order (search.changelog), so a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IndexHost',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=200)),
                ('position', fields.BigIntField(default=0)),
                ('rebuilding', fields.BooleanField(default=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'index_host', 'app': 'community', 'pk_attr': 'name', 'table_description': "A host's own search index, and how far along the change log it has applied it."},
            bases=['Model'],
        ),
    ]
