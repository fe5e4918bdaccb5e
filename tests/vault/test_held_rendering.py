"""The citizen's credentials are rendered without DRF's serializer where that is plainly the same
(vault.api.serializers.held_credentials): whatever it answers is exactly what
HeldCredentialSerializer answers, to the byte of the JSON sent."""

import datetime
import uuid
import zoneinfo
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from vault.api import serializers as vault_serializers
from vault.api.serializers import HeldCredentialSerializer, held_credentials
from vault.models import PodCredential

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
STORED = datetime.datetime(2026, 12, 3, 7, 5, 9, 123456, tzinfo=datetime.UTC)
DOCUMENT = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "n": 1.0}


class Text(str):
    """A str subclass: the serializer writes str(value), a plain str."""


def resource(**overrides):
    values = {
        "pk": uuid.UUID("6f1c0d52-8a43-4b1f-9d7e-0c2a5b3e4f61"),
        "credential_id": "urn:uuid:0f5b6c3a-1d2e-4f70-8a9b-c0d1e2f3a4b5",
        "credential_type": "DiplomaCredential",
        "issuer": SimpleNamespace(name="Ghent Demo University"),
        "created_at": STORED,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def by_serializer(pairs):
    return HeldCredentialSerializer(
        [SimpleNamespace(resource=r, document=d) for r, d in pairs], many=True
    ).data


def outcome(render, pairs):
    """What rendering gives: the JSON sent, or the error raised (DRF refuses a time it cannot
    write in the zone in force)."""
    try:
        rendered = render(pairs)
    except ValidationError as exc:
        return "refused", exc.detail
    return JSONRenderer().render(rendered), rendered


def assert_same(pairs) -> None:
    expected, found = outcome(by_serializer, pairs), outcome(held_credentials, pairs)
    assert found == expected
    if found[0] != "refused":  # each credential's members in the serializer's order
        assert [list(item) for item in found[1]] == [list(item) for item in expected[1]]


@pytest.fixture
def serializers_made(monkeypatch):
    made = []

    class Counting(HeldCredentialSerializer):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(vault_serializers, "HeldCredentialSerializer", Counting)
    return made


def test_plain_credentials_are_rendered_without_the_serializer(serializers_made):
    assert held_credentials([(resource(), DOCUMENT)]) == [
        {
            "id": "6f1c0d52-8a43-4b1f-9d7e-0c2a5b3e4f61",
            "credentialId": "urn:uuid:0f5b6c3a-1d2e-4f70-8a9b-c0d1e2f3a4b5",
            "type": "DiplomaCredential",
            "issuer": "Ghent Demo University",
            "storedAt": "2026-12-03T07:05:09.123456Z",
            "credential": DOCUMENT,
        }
    ]
    assert serializers_made == []


@pytest.mark.parametrize(
    "pairs",
    [
        [],
        [(resource(), DOCUMENT)],
        [(resource(), DOCUMENT), (resource(pk=uuid.uuid4(), credential_type="Other"), {})],
        [(resource(created_at=STORED.replace(microsecond=0)), DOCUMENT)],
        [(resource(created_at=STORED.astimezone(BRUSSELS)), DOCUMENT)],
        [(resource(created_at=STORED.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=-3)))), [])],
        [(resource(created_at=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)), DOCUMENT)],  # overflows
        [(resource(created_at=datetime.datetime(1, 1, 1, 3, tzinfo=datetime.UTC)), DOCUMENT)],
        [(resource(created_at=datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.UTC)), DOCUMENT)],
        [(resource(created_at=STORED.replace(tzinfo=None)), DOCUMENT)],  # naive: the serializer's
        [(resource(credential_id=Text("urn:x")), DOCUMENT)],
        [(resource(credential_type=Text("T"), issuer=SimpleNamespace(name=Text("U"))), DOCUMENT)],
        [(resource(pk=str(uuid.uuid4())), DOCUMENT)],  # an id given as text: the serializer's
        [(resource(credential_id=""), None)],
        [(resource(credential_id='é\u2028\x00"\\'), {"x": "\u2028"})],
        [(resource(), DOCUMENT), (resource(credential_id=Text("odd one")), DOCUMENT)],
    ],
)
@pytest.mark.parametrize("zone", [None, "Europe/Brussels", "America/St_Johns"])
def test_the_same_answer_as_the_serializer(pairs, zone):
    if zone is None:
        assert_same(pairs)
    else:
        with timezone.override(zone):  # DRF writes the time in the zone in force
            assert_same(pairs)


def test_the_serializer_answers_when_the_api_writes_another_time_format(serializers_made):
    with override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "%d/%m/%Y"}):
        from rest_framework.settings import api_settings

        api_settings.reload()
        try:
            assert_same([(resource(), DOCUMENT)])
            assert held_credentials([(resource(), DOCUMENT)])[0]["storedAt"] == "03/12/2026"
        finally:
            api_settings.reload()
    assert serializers_made  # this format is the serializer's to write


ZONES = st.sampled_from(
    [datetime.UTC, BRUSSELS, zoneinfo.ZoneInfo("Asia/Kathmandu"), datetime.timezone(datetime.timedelta(0))]
)
TEXTS = st.text(max_size=30) | st.text(max_size=5).map(Text)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
RESOURCES = st.builds(
    resource,
    pk=st.uuids(),
    credential_id=TEXTS,
    credential_type=TEXTS,
    issuer=TEXTS.map(lambda name: SimpleNamespace(name=name)),
    created_at=st.datetimes(timezones=ZONES),
)


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(RESOURCES, JSON), max_size=4), zone=st.sampled_from([None, "Europe/Brussels"])
)
def test_the_same_answer_as_the_serializer_for_any_credentials(pairs, zone):
    if zone is None:
        assert_same(pairs)
    else:
        with timezone.override(zone):
            assert_same(pairs)


def test_stored_credentials_render_as_the_serializer_renders_them(citizen, issued, serializers_made):
    from vault.services import read_own_credentials

    pairs = read_own_credentials(owner=citizen.user)
    assert len(pairs) == 1 and isinstance(pairs[0][0], PodCredential)
    found = held_credentials(pairs)
    assert serializers_made == []  # stored credentials take the plain way
    assert JSONRenderer().render(found) == JSONRenderer().render(by_serializer(pairs))
    assert citizen.get("/api/v1/pod/credentials").content == JSONRenderer().render(found)
