from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0007_sign_in_window')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExternalIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('community.User', source_field='user_id', db_constraint=True, to_field='id', related_name='external_identities', on_delete=OnDelete.CASCADE)),
                ('issuer', fields.CharField(max_length=500)),
                ('subject', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_identity', 'app': 'community', 'unique_together': (('issuer', 'subject'),), 'pk_attr': 'id', 'table_description': 'An account at an identity provider (issuer + subject) linked to one of our users.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdentityProvider',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.OneToOneField('community.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='identity_provider', on_delete=OnDelete.CASCADE)),
                ('display_name', fields.CharField(max_length=80)),
                ('issuer', fields.CharField(max_length=500)),
                ('client_id', fields.CharField(max_length=200)),
                ('client_secret', fields.TextField(unique=False)),
                ('email_domains', fields.CharField(default='', max_length=500)),
                ('scopes', fields.CharField(default='openid email profile', max_length=300)),
                ('groups_claim', fields.CharField(default='groups', max_length=80)),
                ('org_admin_group', fields.CharField(default='', max_length=120)),
                ('enabled', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'identity_provider', 'app': 'community', 'pk_attr': 'id', 'table_description': "A partner organisation's own OpenID provider. People signing in through it land in that"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organisation',
            name='password_sign_in',
            field=fields.BooleanField(default=True),
        ),
    ]
