from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0015_experts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IndexerLease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=200)),
                ('holder', fields.CharField(max_length=100)),
                ('acquired_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('heartbeat_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'indexer_lease', 'app': 'community', 'pk_attr': 'name', 'table_description': 'Which process writes one search index, and when it last said it was working (its heartbeat).'},
            bases=['Model'],
        ),
    ]
