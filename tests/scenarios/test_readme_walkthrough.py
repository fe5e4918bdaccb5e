"""The README's walk-through runs as printed, against the demo, and shows what it says it shows.

`make demo` as the quick start runs it (tests/quickstart.py: SQLite, eager Celery, a free port);
the ```sh block under "## Walk-through" runs in bash beside it, from the directory holding the
demo.env it sources. Needs curl and jq, as the README says.
"""

import json
import re
import shutil
import subprocess

import pytest

from tests.quickstart import REPOSITORY, free_port, manage, quickstart_environment, runserver

pytestmark = pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")), reason="needs bash, curl, jq"
)


def walkthrough() -> str:
    readme = (REPOSITORY / "README.md").read_text()
    section = readme.split("## Walk-through", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL).group(1)


def printed_json(output: str) -> list:
    """Every JSON value the walk-through printed (jq output), in order; other lines skipped."""
    decoder, values, position = json.JSONDecoder(), [], 0
    while position < len(output):
        line_end = output.find("\n", position)
        line_end = len(output) if line_end < 0 else line_end
        if output[position : position + 1] in ("{", "["):
            try:
                value, position = decoder.raw_decode(output, position)
                values.append(value)
                continue
            except ValueError:
                pass
        position = line_end + 1
    return values


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    directory = tmp_path_factory.mktemp("walkthrough")
    port = free_port()
    environment = quickstart_environment(directory, PORT=str(port))
    manage(environment, "migrate", "--no-input")
    manage(environment, "seed_demo", "--env-file", str(directory / "demo.env"))
    with runserver(environment, port):
        result = subprocess.run(  # noqa: S603 - the README's own block
            ["bash", "-o", "pipefail", "-e", "-c", walkthrough()],  # noqa: S607
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def test_the_field_scoped_read_shows_the_degree_and_date_only(ran):
    [derived] = [
        value
        for value in printed_json(ran)
        if isinstance(value, dict) and value.get("proof") == "ecdsa-sd-2023"
    ]
    subject = derived["credentialSubject"]
    assert subject["degree"]["name"] == "Bachelor of Laws"
    assert subject["awardedOn"] == "2021-07-01"
    assert not {"givenName", "familyName", "grade"} & set(subject)


def test_the_derived_diploma_verifies_through_the_vc_api(ran):
    values = printed_json(ran)
    index = next(
        i
        for i, value in enumerate(values)
        if isinstance(value, dict) and value.get("proof") == "ecdsa-sd-2023"
    )
    verification = values[index + 1]
    assert verification["verified"] is True, verification


def test_the_employer_signed_its_request_and_the_citizen_verifies_it_offline(ran):
    assert "VERIFIED: the request is exactly as its requester signed it." in ran
    assert "Signed by Acme Recruiting with its own key: did:key:z6Mk" in ran


def test_the_consent_records_hold_the_signed_request_and_its_history(ran):
    [records] = [
        value
        for value in printed_json(ran)
        if isinstance(value, list) and value and isinstance(value[0], dict) and "consentStatus" in value[0]
    ]
    acme = [record for record in records if record["controller"] == "Acme Recruiting"]
    signed = next(record for record in acme if record["consentStatus"] == "dpv:ConsentWithdrawn")
    assert signed["signer"] == "organisation"
    assert signed["events"] == ["request.filed", "request.approved", "grant.revoked"]
    screening = next(record for record in records if record["controller"] == "Other Employer")
    assert (screening["signer"], screening["consentStatus"]) == ("custodial", "dpv:ConsentRequested")
