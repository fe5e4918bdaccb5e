# A pod's holder DID stays unique, through a partial index instead of a full one: an import
# changes the column, and an update of a column under a full unique index takes FOR UPDATE on
# the pod's row, which blocks every log entry's insert (vault.models.PodQuerySet.locked).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0021_batch_failure_code"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="pod",
            constraint=models.UniqueConstraint(
                condition=models.Q(("holder_did", ""), _negated=True),
                fields=("holder_did",),
                name="pod_holder_did_unique",
            ),
        ),
        migrations.AlterField(
            model_name="pod",
            name="holder_did",
            field=models.CharField(max_length=255),
        ),
    ]
