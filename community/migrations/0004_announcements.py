from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0003_kb_notifications_sanctions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=150)),
                ('body_source', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('audience', fields.CharField(default='all', max_length=32)),
                ('author', fields.ForeignKeyField('community.User', source_field='author_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.RESTRICT)),
                ('recipient_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'announcement', 'app': 'community', 'pk_attr': 'id', 'table_description': 'A message from the administrators to everyone or to one partner tier. Its notification links here.'},
            bases=['Model'],
        ),
    ]
