"""Runs the test OpenID Provider: ``python -m tests.oidc_op.serve CONFIG_JSON``.

CONFIG_JSON names its database file, its users and its clients::

    {"database": "/tmp/.../op.sqlite3",
     "users": {"an": {"password": "...", "egovNRN": "85073003328", "email": "an@example.org"}},
     "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["http://..."],
                  "post_logout_redirect_uris": ["http://..."]}]}

Listens on 127.0.0.1 on a port the system picks and prints ``http://127.0.0.1:PORT`` as its
first line once it serves; runs until terminated.
"""

import json
import os
import sys


def main() -> None:
    config = json.loads(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_op.settings"
    os.environ["OP_DATABASE"] = config["database"]
    os.environ["OP_USERS"] = json.dumps(config["users"])

    import django

    django.setup()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, person in config["users"].items():
        User.objects.create_user(username=username, password=person["password"])
    for client in config["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, ipv6=False)
    server.set_app(get_wsgi_application())
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
