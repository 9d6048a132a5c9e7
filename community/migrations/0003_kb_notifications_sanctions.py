from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('community', '0002_moderation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Article',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('summary', fields.CharField(default='', max_length=500)),
                ('body_source', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('category', fields.ForeignKeyField('community.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='articles', on_delete=OnDelete.RESTRICT)),
                ('tag_names', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='draft', db_index=True, max_length=16)),
                ('needs_review', fields.BooleanField(default=False)),
                ('needs_review_reason', fields.CharField(default='', max_length=300)),
                ('source_post_id', fields.IntField(null=True, unique=True)),
                ('source_thread_id', fields.IntField(null=True, db_index=True)),
                ('answer_author_id', fields.IntField(null=True)),
                ('curator', fields.ForeignKeyField('community.User', source_field='curator_id', db_constraint=True, to_field='id', related_name='curated_articles', on_delete=OnDelete.RESTRICT)),
                ('version_count', fields.IntField(default=1)),
                ('view_count', fields.IntField(default=0)),
                ('helpful_count', fields.IntField(default=0)),
                ('unhelpful_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'article', 'app': 'community', 'indexes': [Index(fields=['category_id', 'state'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleRating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('community.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='article_ratings', on_delete=OnDelete.CASCADE)),
                ('helpful', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'article_rating', 'app': 'community', 'unique_together': [('article_id', 'user_id')], 'pk_attr': 'id', 'table_description': 'One reader\'s "helped / did not help" (one per reader, changeable).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('community.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='article_tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('community.Tag', source_field='tag_id', db_constraint=True, to_field='id', related_name='article_tags', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'article_tag', 'app': 'community', 'unique_together': [('article_id', 'tag_id')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('community.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('editor', fields.ForeignKeyField('community.User', source_field='editor_id', db_constraint=True, to_field='id', related_name='article_versions', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('summary', fields.CharField(default='', max_length=500)),
                ('body_source', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('category_id', fields.IntField()),
                ('tag_names', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('product_version_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'article_version', 'app': 'community', 'unique_together': [('article_id', 'number')], 'pk_attr': 'id', 'table_description': 'A full copy of an article as it was after each save (version 1 is the promotion).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LiveEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('stream', fields.CharField(max_length=40)),
                ('kind', fields.CharField(max_length=40)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'live_event', 'app': 'community', 'indexes': [Index(fields=['stream', 'id'])], 'pk_attr': 'id', 'table_description': 'The log live delivery resumes from: a reconnecting client asks for ids after the last it saw.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('actor_id', fields.IntField(null=True)),
                ('thread_id', fields.IntField(null=True)),
                ('post_id', fields.IntField(null=True)),
                ('article_id', fields.IntField(null=True)),
                ('text', fields.CharField(max_length=300)),
                ('url', fields.CharField(max_length=300)),
                ('group_key', fields.CharField(null=True, max_length=80)),
                ('count', fields.IntField(default=1)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'community', 'indexes': [Index(fields=['user_id', 'read_at']), Index(fields=['user_id', 'group_key'])], 'pk_attr': 'id', 'table_description': "One entry in a person's notification centre (several replies in one thread group into one)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_settings', on_delete=OnDelete.CASCADE)),
                ('muted_kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('watch_started', fields.BooleanField(default=True)),
                ('watch_answered', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'community', 'pk_attr': 'id', 'table_description': "A person's notification preferences (no row: the defaults)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'product', 'app': 'community', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('community.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=60)),
                ('superseded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'product_version', 'app': 'community', 'unique_together': [('product_id', 'name')], 'pk_attr': 'id', 'table_description': 'A product release articles apply to, e.g. Router X200 firmware 4.x.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleProduct',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('community.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='product_links', on_delete=OnDelete.CASCADE)),
                ('product_version', fields.ForeignKeyField('community.ProductVersion', source_field='product_version_id', db_constraint=True, to_field='id', related_name='article_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'article_product', 'app': 'community', 'unique_together': [('article_id', 'product_version_id')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rate_event', 'app': 'community', 'indexes': [Index(fields=['key', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One counted action (a post, by user or by IP) for rate limits shared by every worker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Watch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='watches', on_delete=OnDelete.CASCADE)),
                ('target_type', fields.CharField(max_length=16)),
                ('target_key', fields.CharField(max_length=60)),
                ('level', fields.CharField(default='watching', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'watch', 'app': 'community', 'unique_together': [('user_id', 'target_type', 'target_key')], 'indexes': [Index(fields=['target_type', 'target_key', 'level'])], 'pk_attr': 'id', 'table_description': 'A person watching or muting a thread, a category or a tag.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Thread',
            name='duplicate_of_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Thread',
            name='locked',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='merged_into_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='silenced_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='suspended_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
