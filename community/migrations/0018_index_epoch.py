from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0017_index_hosts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IndexEpoch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(max_length=32)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'index_epoch', 'app': 'community', 'pk_attr': 'id', 'table_description': "Which life of the database the hosts' indexes follow (one row). ``community restore``"},
            bases=['Model'],
        ),
    ]
