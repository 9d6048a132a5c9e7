from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0013_avatar')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotentRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField()),
                ('key', fields.CharField(max_length=255)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('status', fields.IntField()),
                ('body', fields.TextField()),
                ('location', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotent_request', 'app': 'community', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id', 'table_description': 'A create request with its answer: a retry with the same key gets this answer again.'},
            bases=['Model'],
        ),
    ]
