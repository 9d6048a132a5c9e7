from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0010_support_health')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PendingLiveEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=40)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'live_pending', 'app': 'community', 'pk_attr': 'id', 'table_description': 'A domain event written in the transaction of the change it reports: the recorder turns it'},
            bases=['Model'],
        ),
    ]
