from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0008_sso')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Thread',
            name='private_org_id',
            field=fields.IntField(null=True, db_index=True),
        ),
    ]
