from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0006_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInWindow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=300)),
                ('failures', fields.IntField(default=0)),
                ('started_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_window', 'app': 'community', 'pk_attr': 'id', 'table_description': 'Sign-in attempts counted for one account or one address within the current window.'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='LoginFailure'),
    ]
