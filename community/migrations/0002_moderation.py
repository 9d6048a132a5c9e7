from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('community', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('community.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(db_index=True, max_length=40)),
                ('subject_type', fields.CharField(max_length=16)),
                ('subject_id', fields.IntField()),
                ('reason', fields.CharField(default='', max_length=500)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'community', 'indexes': [Index(fields=['subject_type', 'subject_id'])], 'pk_attr': 'id', 'table_description': 'Every moderator, admin and automatic-rule action, never edited and never deleted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CategoryRules',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.ForeignKeyField('community.Category', source_field='category_id', unique=True, db_constraint=True, to_field='id', related_name='moderation_rules', on_delete=OnDelete.CASCADE)),
                ('confidentiality', fields.BooleanField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'category_rules', 'app': 'community', 'pk_attr': 'id', 'table_description': 'Per-category switches for the starter rule sets (absent row: the default applies).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Flag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target', fields.CharField(max_length=40)),
                ('post', fields.ForeignKeyField('community.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('community.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('flagger', fields.ForeignKeyField('community.User', source_field='flagger_id', db_constraint=True, to_field='id', related_name='flags_raised', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(max_length=16)),
                ('note', fields.CharField(default='', max_length=500)),
                ('weight', fields.IntField(default=1)),
                ('resolution', fields.CharField(null=True, max_length=16)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'flag', 'app': 'community', 'unique_together': [('flagger_id', 'target')], 'indexes': [Index(fields=['target', 'resolution'])], 'pk_attr': 'id', 'table_description': "One person's flag on a post or a thread (one row per target: flagging again changes it)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('post', fields.ForeignKeyField('community.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('community.Thread', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='review_items', on_delete=OnDelete.CASCADE)),
                ('category_id', fields.IntField(null=True)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=40)),
                ('state', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('claimed_by', fields.ForeignKeyField('community.User', source_field='claimed_by_id', null=True, db_constraint=True, to_field='id', related_name='review_claims', on_delete=OnDelete.SET_NULL)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('community.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='review_decisions', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision', fields.CharField(null=True, max_length=16)),
                ('decision_reason', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'review_item', 'app': 'community', 'indexes': [Index(fields=['state', 'created_at'])], 'pk_attr': 'id', 'table_description': "Something waiting for a moderator's decision: a flagged or held post, or a new account."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Sanction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('reason', fields.CharField(max_length=500)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lifted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lifted_by_id', fields.IntField(null=True)),
                ('created_by', fields.ForeignKeyField('community.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='sanctions_given', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sanction', 'app': 'community', 'indexes': [Index(fields=['user_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'A warning, silence (can read, not post) or suspension (cannot sign in) of a user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WatchedWord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pattern', fields.CharField(max_length=200)),
                ('is_regex', fields.BooleanField(default=False)),
                ('action', fields.CharField(max_length=16)),
                ('category_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('rule_set', fields.CharField(default='', max_length=40)),
                ('enabled', fields.BooleanField(default=True)),
                ('created_by', fields.ForeignKeyField('community.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='watched_words', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'watched_word', 'app': 'community', 'pk_attr': 'id', 'table_description': 'A word, phrase or pattern and what happens to a post that contains it.'},
            bases=['Model'],
        ),
    ]
