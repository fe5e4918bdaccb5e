"""`PORT=8110 make demo`: one port, and every address the quick start hands out follows it.

The server runs as `make demo` runs it (tests/quickstart.py), with PORT set to a free port: the
demo.env it writes, the links it prints, the OAuth metadata (RFC 8414: the issuer is where the
metadata is served) and the status-list URLs signed into credentials all name that port.
"""

import os
import re
import shlex
import shutil
import subprocess

import pytest

from tests.quickstart import (
    REPOSITORY,
    call,
    clean_environment,
    free_port,
    manage,
    quickstart_environment,
    read_env_file,
    runserver,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("port")
    port = free_port()
    environment = quickstart_environment(directory, PORT=str(port))
    manage(environment, "migrate", "--no-input")
    seeded = manage(environment, "seed_demo", "--env-file", str(directory / "demo.env"))
    with runserver(environment, port) as base:
        yield base, seeded.stdout, read_env_file(directory / "demo.env"), directory / "demo.env"


def test_demo_env_and_printed_links_name_the_port_served(demo):
    base, printed, demo_env, env_file = demo
    assert demo_env["CV"] == base
    links = re.findall(r"https?://[^\s/]+", printed)
    assert links and set(links) == {base}
    assert f"source {shlex.quote(os.path.relpath(env_file, REPOSITORY))}\n" in printed


def test_oauth_metadata_names_the_port_served(demo):
    base, _, _, _ = demo
    status, _, metadata = call("GET", f"{base}/.well-known/oauth-authorization-server")
    assert status == 200, metadata
    assert metadata["issuer"] == base
    assert metadata["token_endpoint"] == f"{base}/oauth2/token"


def test_status_lists_signed_into_credentials_are_served_where_they_point(demo):
    base, _, demo_env, _ = demo
    status, _, held = call("GET", f"{base}/api/v1/pod/credentials", token=demo_env["CV_CITIZEN_TOKEN"])
    assert status == 200, held
    (diploma,) = held["results"] if isinstance(held, dict) else held
    entries = diploma["credential"]["credentialStatus"]
    urls = {entry["statusListCredential"] for entry in entries}
    assert urls and all(url.startswith(f"{base}/status-lists/") for url in urls)
    for url in urls:
        status, _, status_list = call("GET", url)
        assert status == 200, status_list


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_passes_port_to_every_command():
    commands = subprocess.run(
        ["make", "-n", "demo"],  # noqa: S607 - make from PATH, as a user runs it
        cwd=REPOSITORY,
        env=clean_environment(PORT="8110"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    manage_lines = [line for line in commands.splitlines() if "manage.py" in line]
    assert len(manage_lines) == 3
    assert all("PORT=8110" in line for line in manage_lines)
    assert manage_lines[-1].endswith("runserver 8110")
