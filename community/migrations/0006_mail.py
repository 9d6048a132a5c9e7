from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('community', '0005_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MailSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='mail_settings', on_delete=OnDelete.CASCADE)),
                ('kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('digest', fields.CharField(default='off', max_length=8)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'mail_settings', 'app': 'community', 'pk_attr': 'id', 'table_description': 'What a person wants by mail (no row: the defaults).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutgoingMail',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=40)),
                ('recipient_id', fields.IntField(null=True, db_index=True)),
                ('to_address', fields.CharField(max_length=254)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('text_body', fields.TextField(default='', unique=False)),
                ('html_body', fields.TextField(default='', unique=False)),
                ('headers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('message_id', fields.CharField(unique=True, max_length=250)),
                ('sensitive', fields.BooleanField(default=False)),
                ('state', fields.CharField(default='queued', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, max_length=64)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outgoing_mail', 'app': 'community', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One mail to one address, written in the same transaction as what it is about.'},
            bases=['Model'],
        ),
    ]
