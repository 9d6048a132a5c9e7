from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0019_thread_asked_expert')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invitation',
            name='org_admin',
            field=fields.BooleanField(default=False),
        ),
    ]
