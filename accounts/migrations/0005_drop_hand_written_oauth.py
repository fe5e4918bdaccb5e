# The hand-written OAuth 2.0 server's tables go: django-oauth-toolkit replaces them (0006).
# Existing clients cannot be carried over: only SHA-256 digests of their secrets were kept, and
# django-oauth-toolkit checks secrets with Django's password hashers. Re-register each client
# (manage.py create_oauth_client, or the admin) and hand its new secret over; see docs/operations.md.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_organisation_name_plain_text"),
    ]

    operations = [
        migrations.DeleteModel(name="OAuthAccessToken"),
        migrations.DeleteModel(name="OAuthClient"),
    ]
