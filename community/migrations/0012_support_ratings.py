from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0011_live_pending')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ArticleViewDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('community.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='view_days', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField(db_index=True)),
                ('views', fields.IntField(default=0)),
            ],
            options={'table': 'article_view_day', 'app': 'community', 'unique_together': [('article_id', 'day')], 'pk_attr': 'id', 'table_description': 'How often an article was read on one day (UTC), for views per period (the channel-health'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportRating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('community.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='support_ratings', on_delete=OnDelete.CASCADE)),
                ('rater', fields.ForeignKeyField('community.User', source_field='rater_id', db_constraint=True, to_field='id', related_name='support_ratings', on_delete=OnDelete.CASCADE)),
                ('side', fields.CharField(max_length=16)),
                ('score', fields.IntField()),
                ('comment', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_rating', 'app': 'community', 'unique_together': [('thread_id', 'rater_id')], 'pk_attr': 'id', 'table_description': "One person's rating of the support on one question, from 1 to 5 with an optional comment"},
            bases=['Model'],
        ),
    ]
