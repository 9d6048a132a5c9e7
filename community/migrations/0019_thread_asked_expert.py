from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0018_index_epoch')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Thread',
            name='asked_expert_id',
            field=fields.IntField(null=True),
        ),
    ]
