"""Bitstring Status List: the spec vector, random allocation, revoking and suspending, the
published (signed) list, and reading lists back, ours and other issuers'."""

import base64
import gzip
import json
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from credentials.errors import RevocationIsFinal, UnknownCredentialStatus, UnsupportedStatusPurpose
from credentials.models import StatusEntry, StatusList
from credentials.selectors import active_issuer_key, current_identity
from credentials.services import create_issuer_key
from credentials.statuslist import (
    FILL_LIMIT,
    allocate_status_entries,
    check_status,
    set_status,
    sign_status_list,
    status_list_url,
    verify_status_list_credential,
)
from credentials.verification import verify_issuer_proof
from tests.conftest import VECTORS, diploma
from tests.credentials.conftest import sign
from vc.datamodel import parse_datetime_stamp
from vc.errors import ProofInvalid, StatusListInvalid
from vc.statuslist import (
    MAX_CACHE_SECONDS,
    MIN_STATUS_LIST_SIZE,
    bit_is_set,
    cache_seconds,
    decode_bitstring,
    encode_bitstring,
    with_bit,
)

STATUS_VECTORS = VECTORS / "status-list"
SPEC_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def entry_for(signed, purpose):
    [entry] = [e for e in signed["credentialStatus"] if e["statusPurpose"] == purpose]
    return entry


# The encoding (Bitstring Status List 1.0 §3.2) and the spec's vector.


@pytest.mark.parametrize("example", ["example-03", "example-05"])
def test_spec_vector_encoded_list_is_131072_unset_bits(example):
    [path] = STATUS_VECTORS.glob(f"{example}-*.json")
    document = json.loads(path.read_text())
    encoded = document["credentialSubject"]["encodedList"]
    assert encoded == SPEC_ENCODED_LIST
    bits = decode_bitstring(encoded)
    assert bits == bytes(16_384)
    assert len(bits) * 8 == MIN_STATUS_LIST_SIZE == 131_072


def test_spec_vector_is_multibase_base64url_of_gzip():
    assert SPEC_ENCODED_LIST[0] == "u"
    payload = base64.urlsafe_b64decode(SPEC_ENCODED_LIST[1:] + "==")
    assert payload[:2] == b"\x1f\x8b"  # the GZIP magic number
    assert gzip.decompress(payload) == bytes(16_384)


def test_encoding_round_trips_and_is_deterministic():
    bits = with_bit(with_bit(bytes(16_384), 94_567, True), 131_071, True)
    encoded = encode_bitstring(bits)
    assert encoded.startswith("u") and "=" not in encoded
    assert decode_bitstring(encoded) == bits
    assert encode_bitstring(bits) == encoded


def test_bit_zero_is_the_left_most_bit_of_the_first_byte():
    zeros = bytes(16_384)
    assert with_bit(zeros, 0, True)[:2] == b"\x80\x00"
    assert with_bit(zeros, 7, True)[:2] == b"\x01\x00"
    assert with_bit(zeros, 8, True)[:2] == b"\x00\x80"
    assert bit_is_set(b"\x80" + bytes(16_383), 0)
    assert not bit_is_set(b"\x80" + bytes(16_383), 1)
    assert with_bit(with_bit(zeros, 9, True), 9, False) == zeros


def _encode_raw(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        (None, "multibase"),
        ("z" + SPEC_ENCODED_LIST[1:], "multibase"),
        (SPEC_ENCODED_LIST + "==", "without padding"),
        (_encode_raw(b"not gzip at all"), "GZIP"),
        (_encode_raw(gzip.compress(bytes(1024))), "at least 131072"),
        (_encode_raw(gzip.compress(bytes(16_384))[:-6]), "truncated"),
        (_encode_raw(gzip.compress(bytes(2 * 1024 * 1024 + 1))), "more than"),
    ],
    ids=["not a string", "base58 prefix", "padded", "not gzip", "too short", "truncated", "bomb"],
)
def test_malformed_encoded_lists_are_refused_with_the_reason(encoded, reason):
    with pytest.raises(StatusListInvalid, match=reason):
        decode_bitstring(encoded)


# Allocation at issuance.


def test_signed_credential_carries_a_revocation_and_a_suspension_entry(issuer, settings):
    settings.PUBLIC_BASE_URL = "https://vault.example.be"
    signed = sign(issuer)
    verify_issuer_proof(signed)  # the entries are signed with the rest
    assert [e["statusPurpose"] for e in signed["credentialStatus"]] == ["revocation", "suspension"]
    for entry in signed["credentialStatus"]:
        stored = StatusEntry.objects.get(credential_id=signed["id"], status_purpose=entry["statusPurpose"])
        url = f"https://vault.example.be/status-lists/{stored.status_list_id}"
        assert entry == {
            "id": f"{url}#{stored.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": entry["statusPurpose"],
            "statusListIndex": str(stored.index),
            "statusListCredential": url,
        }
        assert stored.status_list.status_purpose == entry["statusPurpose"]
        assert stored.status_list.issuer_key == active_issuer_key(issuer)
        assert stored.status_list.issuer_did == signed["issuer"] == active_issuer_key(issuer).did


def test_a_refused_credential_takes_no_index(issuer):
    with pytest.raises(Exception, match="degreeName"):
        sign(issuer, diploma(degreeName="Master of Science"))  # refused while signing
    assert not StatusEntry.objects.exists()


def test_a_credential_status_sent_by_the_issuer_is_refused(issuer):
    credential = {**diploma(), "credentialStatus": {"type": "BitstringStatusListEntry"}}
    with pytest.raises(Exception, match="credentialStatus must be absent"):
        sign(issuer, credential)


def test_indexes_are_drawn_at_random_and_never_shared(issuer):
    identity = current_identity(issuer)
    allocations = [
        allocate_status_entries(identity=identity, credential_id=f"urn:uuid:{n}") for n in range(1500)
    ]
    revocation = [entries[0].index for entries in allocations]
    suspension = [entries[1].index for entries in allocations]
    assert len(set(revocation)) == len(revocation) == 1500
    assert len(set(suspension)) == 1500
    # Not sequential, and a credential's index in one list says nothing of the other.
    assert revocation != sorted(revocation)
    assert sum(r == s for r, s in zip(revocation, suspension, strict=True)) < 5
    # Spread over the whole list: 8 equal slices get 187.5 each on average (sd ~12.8);
    # a slice outside 100..275 is a seven-sigma event.
    slices = Counter(index * 8 // MIN_STATUS_LIST_SIZE for index in revocation)
    assert sorted(slices) == list(range(8))
    assert all(100 < count < 275 for count in slices.values()), slices
    assert StatusList.objects.get(entries__index=revocation[0], status_purpose="revocation").allocated == 1500


def test_the_database_refuses_two_credentials_on_one_index(issuer):
    [entry, _] = allocate_status_entries(identity=current_identity(issuer), credential_id="urn:uuid:first")
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusEntry.objects.create(
            status_list=entry.status_list,
            index=entry.index,
            organisation=issuer,
            status_purpose="revocation",
            credential_id="urn:uuid:second",
        )


def test_a_list_filled_to_its_limit_gives_way_to_a_new_list(issuer):
    identity = current_identity(issuer)
    [first, _] = allocate_status_entries(identity=identity, credential_id="urn:uuid:1")
    StatusList.objects.filter(pk=first.status_list_id).update(
        allocated=int(MIN_STATUS_LIST_SIZE * FILL_LIMIT)
    )
    [second, _] = allocate_status_entries(identity=identity, credential_id="urn:uuid:2")
    assert second.status_list_id != first.status_list_id
    assert second.status_list.size == MIN_STATUS_LIST_SIZE


def test_signing_the_same_credential_id_again_keeps_its_entries(issuer):
    credential = {**diploma(), "id": "urn:uuid:0b7a2b0e-3c0e-4a53-9d0a-4f4d1f7f6c11"}
    first, again = sign(issuer, credential), sign(issuer, credential)
    assert first["credentialStatus"] == again["credentialStatus"]
    assert StatusEntry.objects.filter(credential_id=credential["id"]).count() == 2


def test_a_new_signing_key_gets_new_lists(issuer):
    before = sign(issuer)
    create_issuer_key(organisation=issuer)
    after = sign(issuer)
    assert (
        entry_for(before, "revocation")["statusListCredential"]
        != entry_for(after, "revocation")["statusListCredential"]
    )


# Changing a status: revoke, suspend, lift.


def test_revoked_credential_reads_as_revoked(issuer):
    signed = sign(issuer)
    set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=True)
    results = {r.purpose: r for r in check_status(signed)}
    assert results["revocation"].is_set
    assert not results["suspension"].is_set
    assert results["revocation"].index == int(entry_for(signed, "revocation")["statusListIndex"])


def test_suspension_can_be_lifted(issuer):
    signed = sign(issuer)
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=True)
    assert [r.is_set for r in check_status(signed)] == [False, True]
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=False)
    assert [r.is_set for r in check_status(signed)] == [False, False]


def test_revocation_is_final(issuer):
    signed = sign(issuer)
    set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=True)
    with pytest.raises(RevocationIsFinal):
        set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=False)
    assert check_status(signed)[0].is_set
    # Revoking again is not an error: the state asked for is the state it is in.
    set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=True)


def test_another_issuer_cannot_revoke(issuer, other_issuer):
    signed = sign(issuer)
    with pytest.raises(UnknownCredentialStatus, match="not issued by Other Demo University"):
        set_status(issuer=other_issuer, credential_id=signed["id"], purpose="revocation", value=True)
    assert not any(r.is_set for r in check_status(signed))


def test_unknown_credential_cannot_be_revoked(issuer):
    with pytest.raises(UnknownCredentialStatus):
        set_status(issuer=issuer, credential_id="urn:uuid:never-issued", purpose="revocation", value=True)


@pytest.mark.parametrize("purpose", ["refresh", "message", "", None])
def test_unmanaged_purposes_are_refused(issuer, purpose):
    signed = sign(issuer)
    with pytest.raises(UnsupportedStatusPurpose):
        set_status(issuer=issuer, credential_id=signed["id"], purpose=purpose, value=True)


def test_each_change_bumps_the_list_version(issuer):
    signed = sign(issuer)
    status_list = StatusEntry.objects.get(credential_id=signed["id"], status_purpose="suspension").status_list
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=True)
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=True)  # no change
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=False)
    status_list.refresh_from_db()
    assert status_list.version == 2


# The published list.


def test_published_list_is_public_signed_by_the_issuer_and_cacheable_a_minute_at_most(issuer, anonymous):
    signed = sign(issuer)
    set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=True)
    entry = entry_for(signed, "revocation")
    path = entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")

    response = anonymous.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+ld+json"
    cache_control = dict(part.strip().partition("=")[::2] for part in response["Cache-Control"].split(","))
    assert "public" in cache_control
    assert 0 < int(cache_control["max-age"]) <= 60
    published = json.loads(response.content)
    assert published["id"] == entry["statusListCredential"]
    assert published["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert verify_issuer_proof(published).issuer == signed["issuer"]
    subject = published["credentialSubject"]
    assert subject["id"] == entry["statusListCredential"] + "#list"
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert subject["ttl"] <= 60_000
    bits = decode_bitstring(subject["encodedList"])
    assert len(bits) * 8 == MIN_STATUS_LIST_SIZE
    assert bit_is_set(bits, int(entry["statusListIndex"]))
    assert sum(bin(byte).count("1") for byte in bits) == 1
    valid_for = parse_datetime_stamp(published["validUntil"]) - parse_datetime_stamp(published["validFrom"])
    assert timedelta(0) < valid_for <= timedelta(hours=1)


def test_published_list_shows_a_change_at_once(issuer, anonymous):
    signed = sign(issuer)
    entry = entry_for(signed, "suspension")
    path = entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")
    index = int(entry["statusListIndex"])

    def published_bit():
        return bit_is_set(
            decode_bitstring(anonymous.get(path).json()["credentialSubject"]["encodedList"]), index
        )

    assert not published_bit()
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=True)
    assert published_bit()
    set_status(issuer=issuer, credential_id=signed["id"], purpose="suspension", value=False)
    assert not published_bit()


def test_unknown_status_list_is_a_404_problem(anonymous, db):
    response = anonymous.get("/status-lists/6b0f2b8e-0c1f-4d55-a7a3-0e8b7c7c2f10")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("unknown-status-list")


def test_lists_of_a_rotated_key_stay_signed_as_the_credentials_issuer(issuer, anonymous):
    signed = sign(issuer)
    create_issuer_key(organisation=issuer)
    path = entry_for(signed, "revocation")["statusListCredential"].removeprefix("http://127.0.0.1:8000")
    assert verify_issuer_proof(anonymous.get(path).json()).issuer == signed["issuer"]


# Checking: what check_status refuses.


def _with_entry(signed, **changes):
    """The credential's revocation entry, changed (the proof no longer matters to check_status)."""
    entry = {**entry_for(signed, "revocation"), **changes}
    return {**signed, "credentialStatus": [entry]}


def test_an_index_outside_the_list_is_refused(issuer):
    signed = sign(issuer)
    with pytest.raises(StatusListInvalid, match="outside the list"):
        check_status(_with_entry(signed, statusListIndex=str(MIN_STATUS_LIST_SIZE)))


@pytest.mark.parametrize("index", ["-1", "12a", 12, "", "1" * 12])
def test_a_malformed_index_is_refused(issuer, index):
    with pytest.raises(StatusListInvalid, match="statusListIndex"):
        check_status(_with_entry(sign(issuer), statusListIndex=index))


def test_a_purpose_that_does_not_match_the_list_is_refused(issuer):
    signed = sign(issuer)
    with pytest.raises(StatusListInvalid, match="is for 'revocation'"):
        check_status(_with_entry(signed, statusPurpose="suspension"))


def test_a_list_of_another_issuer_is_refused(issuer, other_issuer):
    signed = sign(issuer)
    others = sign(other_issuer)
    foreign = entry_for(others, "revocation")
    with pytest.raises(StatusListInvalid, match="not by the credential's issuer"):
        check_status(_with_entry(signed, statusListCredential=foreign["statusListCredential"]))


def test_other_entry_types_and_sizes_are_refused(issuer):
    signed = sign(issuer)
    with pytest.raises(StatusListInvalid, match="only BitstringStatusListEntry"):
        check_status(_with_entry(signed, type="StatusList2021Entry"))
    with pytest.raises(StatusListInvalid, match="statusSize"):
        check_status(_with_entry(signed, statusSize=2))


def test_a_credential_without_status_has_no_entries():
    assert check_status({"issuer": "did:example:1"}) == []


# Other issuers' lists: verified like any credential, and cached for a minute at most.


def _now():
    return timezone.now()


@pytest.fixture
def list_credential(issuer):
    signed = sign(issuer)
    status_list = StatusEntry.objects.get(credential_id=signed["id"], status_purpose="revocation").status_list
    return sign_status_list(status_list), status_list


def test_a_fetched_list_must_verify(list_credential):
    document, status_list = list_credential
    url = status_list_url(status_list.id)
    listing, valid_until = verify_status_list_credential(document, url=url, now=_now())
    assert listing.purpose == "revocation"
    assert listing.issuer == status_list.issuer_did == status_list.issuer_key.did
    assert valid_until is not None

    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["encodedList"] = encode_bitstring(with_bit(bytes(16_384), 5, True))
    with pytest.raises(ProofInvalid):
        verify_status_list_credential(tampered, url=url, now=_now())


def test_an_expired_list_is_refused(list_credential):
    document, status_list = list_credential
    later = parse_datetime_stamp(document["validUntil"]) + timedelta(seconds=1)
    with pytest.raises(StatusListInvalid, match="expired"):
        verify_status_list_credential(document, url=status_list_url(status_list.id), now=later)


def test_a_list_served_under_another_url_is_refused(list_credential):
    document, _ = list_credential
    with pytest.raises(StatusListInvalid, match="names another id"):
        verify_status_list_credential(document, url="https://elsewhere.example/list/1", now=_now())


def test_a_list_that_is_not_a_status_list_credential_is_refused(list_credential):
    document, status_list = list_credential
    with pytest.raises(StatusListInvalid, match="not a BitstringStatusListCredential"):
        verify_status_list_credential(
            {**document, "type": ["VerifiableCredential"]}, url=status_list_url(status_list.id), now=_now()
        )


@pytest.mark.parametrize(
    ("ttl", "valid_for", "expected"),
    [
        (None, timedelta(days=1), MAX_CACHE_SECONDS),
        (86_400_000, timedelta(days=1), MAX_CACHE_SECONDS),
        (10_000, timedelta(days=1), 10),
        (None, timedelta(seconds=20), 20),
        (None, timedelta(seconds=-5), 0),
    ],
    ids=["no ttl", "a day of ttl", "shorter ttl", "expires soon", "expired"],
)
def test_a_fetched_list_is_cached_a_minute_at_most(ttl, valid_for, expected):
    now = _now()
    subject = {"type": "BitstringStatusList"} | ({"ttl": ttl} if ttl is not None else {})
    seconds = cache_seconds({"credentialSubject": subject}, valid_until=now + valid_for, now=now)
    assert seconds == expected <= 60


class _ListServer:
    """A status list host on 127.0.0.1, counting the requests it answers."""

    def __init__(self):
        self.document: dict = {}
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = json.dumps(server.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/vc+ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_another_issuers_list_is_fetched_verified_and_cached(issuer, settings):
    """Our own lists are read from the database; here the list's URL is not ours, so it is
    fetched (from a local server), verified, and reused from the cache."""
    pytest.importorskip("credentials.remote")
    settings.REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = True
    with _ListServer() as server:

        def publish(status_list):  # the issuer's service, under its own base URL
            settings.PUBLIC_BASE_URL = server.base_url
            status_list.refresh_from_db()
            server.document = sign_status_list(status_list)
            settings.PUBLIC_BASE_URL = "https://verifier.example"  # we are only its verifier

        settings.PUBLIC_BASE_URL = server.base_url
        signed = sign(issuer)
        status_list = StatusEntry.objects.get(
            credential_id=signed["id"], status_purpose="revocation"
        ).status_list
        publish(status_list)
        credential = {**signed, "credentialStatus": [entry_for(signed, "revocation")]}

        assert [r.is_set for r in check_status(credential)] == [False]
        assert server.requests == 1

        set_status(issuer=issuer, credential_id=signed["id"], purpose="revocation", value=True)
        publish(status_list)
        assert [r.is_set for r in check_status(credential)] == [False]  # from the cache
        assert server.requests == 1

        cache.clear()  # what the cache's expiry (60 s at most) does
        assert [r.is_set for r in check_status(credential)] == [True]
        assert server.requests == 2


def test_a_list_that_cannot_be_fetched_is_an_error_not_a_pass(issuer, settings):
    pytest.importorskip("credentials.remote")
    from credentials.errors import RemoteFetchFailed

    signed = sign(issuer)
    entry = {**entry_for(signed, "revocation"), "statusListCredential": "http://status.example/lists/1"}
    with pytest.raises(RemoteFetchFailed):
        check_status({**signed, "credentialStatus": entry})


@pytest.mark.parametrize("list_id", ["not-a-uuid", "null,null", "a/b"])
def test_a_malformed_status_list_id_is_a_404_problem(anonymous, db, list_id):
    response = anonymous.get(f"/status-lists/{list_id}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
