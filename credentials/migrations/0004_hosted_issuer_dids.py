"""Hosted did:web issuer DIDs, and the issuer DID each status list belongs to.

Every list made before this migration belongs to its key's did:key: that DID is copied onto
the list before the constraint that requires one is added.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def issuer_did_of_existing_lists(apps, schema_editor):
    StatusList = apps.get_model("credentials", "StatusList")
    for status_list in StatusList.objects.select_related("issuer_key").filter(issuer_did="").iterator():
        status_list.issuer_did = status_list.issuer_key.did
        status_list.save(update_fields=["issuer_did"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_oauth_clients"),
        ("credentials", "0003_external_issuer_dids"),
    ]

    operations = [
        migrations.CreateModel(
            name="HostedIssuerDid",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("did", models.CharField(max_length=255, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="hosted_did",
                        to="accounts.organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "hosted issuer DID",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("did__startswith", "did:web:")), name="hosted_issuer_did_is_did_web"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="statuslist",
            name="issuer_did",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(issuer_did_of_existing_lists, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="statuslist", name="status_list_key_purpose"),
        migrations.AddIndex(
            model_name="statuslist",
            index=models.Index(fields=["issuer_did", "status_purpose"], name="status_list_did_purpose"),
        ),
        migrations.AddConstraint(
            model_name="statuslist",
            constraint=models.CheckConstraint(
                condition=models.Q(("issuer_did__startswith", "did:key:"), ("issuer_did__startswith", "did:web:"), _connector="OR"),
                name="status_list_issuer_is_did_key_or_did_web",
            ),
        ),
    ]
