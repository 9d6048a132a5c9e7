from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0012_support_ratings')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='avatar',
            field=fields.CharField(null=True, max_length=60),
        ),
    ]
