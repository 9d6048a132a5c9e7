from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0014_idempotency')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExpertProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='expert_profile', on_delete=OnDelete.CASCADE)),
                ('category_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('away_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stand_in', fields.ForeignKeyField('community.User', source_field='stand_in_id', null=True, db_constraint=True, to_field='id', related_name='standing_in_for', on_delete=OnDelete.SET_NULL)),
                ('last_routed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'expert_profile', 'app': 'community', 'pk_attr': 'id', 'table_description': "An expert's categories and availability (their tags are ``User.expertise_tags``)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuestionRouting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('community.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='routings', on_delete=OnDelete.CASCADE)),
                ('expert', fields.ForeignKeyField('community.User', source_field='expert_id', db_constraint=True, to_field='id', related_name='routed_questions', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(max_length=16)),
                ('standing_in_for_id', fields.IntField(null=True)),
                ('passed_by_id', fields.IntField(null=True)),
                ('note_html', fields.TextField(default='', unique=False)),
                ('routed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('passed_on_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'question_routing', 'app': 'community', 'unique_together': [('thread_id', 'expert_id')], 'pk_attr': 'id', 'table_description': 'One expert a question was routed to, why, and whether they passed it on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResponseClock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.OneToOneField('community.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='response_clock', on_delete=OnDelete.CASCADE)),
                ('asked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('first_answer_due', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('solution_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('escalated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('solution_escalated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'response_clock', 'app': 'community', 'pk_attr': 'id', 'table_description': "A question's deadlines (UTC wall clock) and when its reminder and escalations went out."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResponseTarget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.OneToOneField('community.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='response_target', on_delete=OnDelete.CASCADE)),
                ('first_answer_hours', fields.IntField(default=24)),
                ('solution_hours', fields.IntField(null=True)),
                ('route_count', fields.IntField(default=3)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'response_target', 'app': 'community', 'pk_attr': 'id', 'table_description': "A category's response targets and routing count (no row: the defaults)."},
            bases=['Model'],
        ),
    ]
