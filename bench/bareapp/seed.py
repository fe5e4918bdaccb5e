"""Make the bare endpoint's tables and data: one user with a DRF token, N copies of a document.

DATABASE_URL=… SECRET_KEY=… python -m bench.bareapp.seed DOCUMENT.json COUNT   # prints the token
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bareapp.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.bareapp.models import Document  # noqa: E402


def main() -> None:
    document_path, count = sys.argv[1], int(sys.argv[2])
    call_command("migrate", run_syncdb=True, verbosity=0)
    with open(document_path, encoding="utf-8") as handle:
        body = json.load(handle)
    Document.objects.bulk_create([Document(body=body) for _ in range(count)])
    user = User.objects.create_user(username="bench")
    print(Token.objects.create(user=user).key)


if __name__ == "__main__":
    main()
