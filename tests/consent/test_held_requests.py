"""A request to a national number with no pod here: filed and answered exactly as any other (so
no employer can test whether a person uses the service), held against the number's keyed hash,
and attached to the citizen's pod when it opens (the first sign-in through the OpenID Provider,
or the account-creation service): logged with the time it was filed, put in the inbox, its
signed request moved into the pod. Expired or withdrawn unattached, it is pruned."""

import re
import threading
import time
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.identity import national_id_digest
from consent import requestformat
from consent.models import AccessRequest
from consent.services import sweep_lifecycle
from inbox.models import Notification
from tests.accounts.test_oidc import CALLBACK, at_provider, local, signed_in_user
from tests.conftest import make_citizen
from tests.oidc_op.process import citizen as op_citizen
from tests.oidc_op.process import portal_signing_in_at, running_provider
from tests.portal.consoles import member_client, requests_url
from vault import keyrotation, reasons
from vault.models import AccessEvent, Pod, RequestEvidence
from vault.services import create_citizen

from .conftest import DIPLOMA, HR, request_body
from .test_signed_requests import postgresql, register_key, send

REQUESTS = "/api/v1/access-requests"
KNOWN = "BE:85073003328"  # the conftest's citizen
UNKNOWN = "BE:71020300156"  # nobody here, yet
STRANGER = "BE:66060600183"
NEWCOMER_NRN = "71020300156"

# What differs between any two filings, whoever they are to: the id and the clock.
PER_FILING = {"id", "createdAt", "answerBy", "validUntil", "decidedAt"}


def filed_to(employer, national_id: str, **overrides):
    return employer.post(REQUESTS, request_body(citizen={"nationalId": national_id}, **overrides))


def same_shape(known: dict, unknown: dict) -> None:
    """Field by field: the same members, each of the same JSON type, the same values but for the
    per-filing ones; nested objects (the evidence) likewise."""
    assert list(known) == list(unknown)
    for name in known:
        assert type(known[name]) is type(unknown[name]), name
        if isinstance(known[name], dict):
            same_shape(known[name], unknown[name])
        elif name not in PER_FILING | {"sha256", "signedAt", "receivedAt"}:
            assert known[name] == unknown[name], name


def alike(page: str, request_id: str) -> str:
    """A console page without what differs between any two requests: the id, the QR code of its
    link, the times, the form's CSRF token."""
    page = re.sub(r"<svg.*?</svg>|<time[^>]*>.*?</time>", "", page, flags=re.S)
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", page).replace(request_id, "ID")


def held(request_id) -> AccessRequest:
    return AccessRequest.objects.get(pk=request_id)


# --- the requester cannot tell -------------------------------------------------------------------


def test_filing_to_a_number_without_a_pod_answers_as_to_a_citizen_who_has_one(employer, citizen):
    known, unknown = filed_to(employer, KNOWN), filed_to(employer, UNKNOWN)
    assert known.status_code == unknown.status_code == 201
    assert known.headers.get("Content-Type") == unknown.headers.get("Content-Type")
    same_shape(known.json(), unknown.json())
    assert unknown.json()["status"] == "pending" and unknown.json()["grantId"] is None
    # Its own view of each, one by one and in the list, is alike too.
    one, other = (employer.get(f"{REQUESTS}/{r.json()['id']}") for r in (known, unknown))
    assert one.status_code == other.status_code == 200
    same_shape(one.json(), other.json())
    listed = {item["id"]: item for item in employer.get(f"{REQUESTS}?status=pending").json()["results"]}
    same_shape(listed[known.json()["id"]], listed[unknown.json()["id"]])


def test_signed_filings_look_alike_too_with_their_evidence(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    key = register_key(employer)
    answers = []
    for national_id in (KNOWN, UNKNOWN):
        document = requestformat.sign(request_body(citizen={"nationalId": national_id}), key)
        response, _ = send(employer, document)
        assert response.status_code == 201, response.json()
        answers.append(response.json())
    same_shape(*answers)
    assert answers[1]["evidence"]["signer"] == "organisation"
    # A nonce is once per organisation, held request or not.
    replayed, _ = send(employer, document)
    assert replayed.status_code == 409, replayed.json()


def test_timings_are_of_the_same_order(employer, citizen):
    """The unknown number does less (no log, no inbox), never an order of magnitude less."""

    def median(national_id: str) -> float:
        spent = []
        for _ in range(5):
            started = time.perf_counter()
            assert filed_to(employer, national_id).status_code == 201
            spent.append(time.perf_counter() - started)
        return sorted(spent)[2]

    filed_to(employer, KNOWN)  # warm
    known, unknown = median(KNOWN), median(UNKNOWN)
    assert unknown > known / 10 and known > unknown / 10, (known, unknown)


@pytest.fixture
def floor_waits(settings, monkeypatch) -> list[float]:
    """The answer floor at its largest, and the waits it asks for (not slept: recorded)."""
    from consent import timing

    settings.ACCESS_REQUEST_ANSWER_FLOOR_SECONDS = 5.0
    waits: list[float] = []
    monkeypatch.setattr(timing, "sleep", waits.append)
    return waits


def test_every_filing_is_answered_at_the_floor_whether_the_number_has_a_pod_or_not(
    employer, citizen, floor_waits
):
    """Delivered into a pod or held, each filing waits out the rest of the floor: both answer at
    the same moment after they arrived, not by how much work they did."""
    assert filed_to(employer, KNOWN).status_code == 201
    assert filed_to(employer, UNKNOWN).status_code == 201
    assert len(floor_waits) == 2 and all(0 < wait < 5.0 for wait in floor_waits), floor_waits
    # A body refused before the filing (its shape, its values) answers at once: it says nothing of
    # the number.
    assert filed_to(employer, KNOWN, purpose="dpv:NoSuchPurpose").status_code == 400
    assert len(floor_waits) == 2


def filed_in_console(hr, employer, national_id: str):
    """The employer's member files a request for a diploma through the console's form."""
    return hr.post(
        f"{requests_url(employer)}/new",
        {
            "national_id": national_id,
            "credential_types": [DIPLOMA],
            "purpose": HR,
            "purpose_description": "Degree check for vacancy 21",
            "valid_until": (timezone.now() + timedelta(days=30)).date().isoformat(),
        },
    )


def test_the_console_files_at_the_floor_too(employer, citizen, floor_waits):
    hr = member_client(employer.organisation, "hr@acme.example")
    for national_id in ("85.07.30-033.28", "71.02.03-001.56"):
        response = filed_in_console(hr, employer, national_id)
        assert response.status_code == 302
    assert len(floor_waits) == 2 and all(0 < wait < 5.0 for wait in floor_waits), floor_waits


def test_withdrawing_is_answered_at_the_floor_too(employer, citizen, floor_waits):
    """Withdrawing a held request logs nothing; withdrawing a delivered one logs in the pod."""
    known, unknown = filed_to(employer, KNOWN).json()["id"], filed_to(employer, UNKNOWN).json()["id"]
    floor_waits.clear()
    for request_id in (known, unknown):
        assert employer.post(f"{REQUESTS}/{request_id}/withdraw").status_code == 200
    assert len(floor_waits) == 2 and all(0 < wait < 5.0 for wait in floor_waits), floor_waits


def test_start_up_logs_the_warning_of_stranded_held_requests(employer, settings, caplog):
    from config.startup import refuse_to_start_without_keys_in_use

    filed_to(employer, UNKNOWN)
    settings.LOOKUP_HASH_KEY_RING = {"2": "second lookup key, at least thirty-two characters long"}
    settings.LOOKUP_HASH_KEY_VERSION = "2"
    refuse_to_start_without_keys_in_use()  # a warning does not stop the process
    assert "consent.W001: Lookup-hash version '1' is not in LOOKUP_HASH_KEYS" in caplog.text


def test_no_floor_answers_at_once(employer, citizen, settings, monkeypatch):
    from consent import timing

    settings.ACCESS_REQUEST_ANSWER_FLOOR_SECONDS = 0
    waits: list[float] = []
    monkeypatch.setattr(timing, "sleep", waits.append)
    assert filed_to(employer, UNKNOWN).status_code == 201
    assert waits == []


def test_nothing_is_written_in_any_pod_and_nobody_is_mailed(
    employer, citizen, django_capture_on_commit_callbacks
):
    log_before = AccessEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        request_id = filed_to(employer, UNKNOWN).json()["id"]
    assert AccessEvent.objects.count() == log_before
    assert not Notification.objects.exists() and mail.outbox == []
    request = held(request_id)
    assert request.pod is None and request.is_held
    assert request.national_id_digest == national_id_digest(UNKNOWN)
    assert request.national_id_hash_version == "1"
    # The number in clear is nowhere in the row.
    row = AccessRequest.objects.filter(pk=request_id).values().get()
    assert not any("71020300156" in str(value) for value in row.values())


def test_the_console_files_to_an_unknown_number_as_to_a_known_one(employer, citizen):
    hr = member_client(employer.organisation, "hr@acme.example")
    pages = []
    for national_id in ("85.07.30-033.28", "71.02.03-001.56"):
        response = filed_in_console(hr, employer, national_id)
        assert response.status_code == 302
        request_id = response["Location"].rsplit("/", 1)[1]
        page = hr.get(response["Location"])
        assert page.status_code == 200
        pages.append(alike(page.content.decode(), request_id))
    assert pages[0] == pages[1]
    assert "waiting for the candidate" in pages[1]
    assert AccessRequest.objects.filter(pod__isnull=True).count() == 1
    # Both signed by the organisation's custodial key, as submitted through the console.
    assert [e.custodial for e in RequestEvidence.objects.all()] == [True, True]


def test_a_malformed_number_is_still_refused_on_the_form(employer, db):
    hr = member_client(employer.organisation, "hr@acme.example")
    response = hr.post(
        f"{requests_url(employer)}/new", {"national_id": "BE:12", "credential_types": [DIPLOMA]}
    )
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()


# --- the pod opens: the held requests come in ---------------------------------------------------


def test_a_pod_opened_for_the_number_takes_its_pending_requests_logged_and_in_the_inbox(
    employer, settings, django_capture_on_commit_callbacks
):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    key = register_key(employer)
    response, raw = send(employer, requestformat.sign(request_body(citizen={"nationalId": UNKNOWN}), key))
    request_id = response.json()["id"]
    filed_at = held(request_id).created_at
    assert RequestEvidence.objects.get(request_id=request_id).pod is None

    with django_capture_on_commit_callbacks(execute=True):
        newcomer = make_citizen("newcomer@example.org", UNKNOWN)

    request = held(request_id)
    assert request.pod == newcomer.pod and request.national_id_digest == ""
    assert request.national_id_hash_version == ""
    log = list(AccessEvent.objects.filter(pod=newcomer.pod).order_by("seq"))
    assert [(e.action, e.credential_type) for e in log] == [
        (AccessEvent.Action.POD_OPENED, ""),
        (AccessEvent.Action.REQUEST_FILED, DIPLOMA),
    ]
    filing = log[1]
    assert (filing.actor_label, filing.purpose, str(filing.request_id)) == ("Acme Recruiting", HR, request_id)
    stamp = filed_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert filing.reason == f"filed {stamp}"
    assert "before your pod was opened" in reasons.in_words(filing.reason)
    [notice] = Notification.objects.filter(recipient=newcomer.user)
    assert (notice.kind, notice.request_id) == (Notification.Kind.REQUEST_NEW, request.pk)
    assert [message.to for message in mail.outbox] == [["newcomer@example.org"]]
    # The signed request moved into the pod: the citizen downloads it, and it verifies.
    evidence = RequestEvidence.objects.get(request_id=request_id)
    assert evidence.pod == newcomer.pod and evidence.kek_id == ""
    document = newcomer.get(f"/api/v1/pod/access-requests/{request_id}/evidence").json()
    assert document["signedRequest"].encode() == raw
    assert requestformat.verify_evidence(document) == []
    # The citizen decides it as any other; the requester sees the answer.
    approved = newcomer.post(f"/api/v1/pod/access-requests/{request_id}/approve", {})
    assert approved.status_code == 201, approved.json()
    assert employer.get(f"{REQUESTS}/{request_id}").json()["status"] == "approved"


def test_held_evidence_joins_kek_rotation(employer, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    key = register_key(employer)
    send(employer, requestformat.sign(request_body(citizen={"nationalId": UNKNOWN}), key))
    assert "signed requests held for no pod yet" in [c.label for c in keyrotation.kek_sealed_columns()]
    usage = keyrotation.kek_usage()
    assert sum(usage["signed requests held for no pod yet"].values()) == 1


def test_only_the_pod_of_that_number_takes_them(employer, citizen):
    request_id = filed_to(employer, UNKNOWN).json()["id"]
    stranger = make_citizen("stranger@example.org", STRANGER)
    assert held(request_id).pod is None
    assert not AccessEvent.objects.filter(request_id=request_id).exists()
    assert not Notification.objects.filter(request_id=request_id).exists()
    assert not AccessEvent.objects.filter(pod=stranger.pod, action=AccessEvent.Action.REQUEST_FILED).exists()
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.REQUEST_FILED).exists()


def test_a_request_held_under_an_older_lookup_hash_version_is_attached(employer, settings):
    request_id = filed_to(employer, UNKNOWN).json()["id"]
    assert held(request_id).national_id_hash_version == "1"
    settings.LOOKUP_HASH_KEY_RING = {"2": "second lookup key, at least thirty-two characters long"} | dict(
        settings.LOOKUP_HASH_KEY_RING
    )
    settings.LOOKUP_HASH_KEY_VERSION = "2"
    newcomer = make_citizen("newcomer@example.org", UNKNOWN)
    assert newcomer.user.national_id_hash_version == "2"
    assert held(request_id).pod == newcomer.pod


def test_dropping_the_lookup_hash_version_of_held_requests_is_warned_of_at_start_up(employer, settings):
    from consent.checks import every_lookup_hash_version_of_a_held_request_is_in_the_ring as check

    filed_to(employer, UNKNOWN)
    filed_to(employer, STRANGER)
    assert check() == []  # version 1 is still in the ring
    settings.LOOKUP_HASH_KEY_RING = {"2": "second lookup key, at least thirty-two characters long"}
    settings.LOOKUP_HASH_KEY_VERSION = "2"
    [warning] = check()
    assert warning.id == "consent.W001" and not warning.is_serious()  # start-up goes on
    assert "Lookup-hash version '1' is not in LOOKUP_HASH_KEYS but 2 pending access requests" in warning.msg
    last = max(r.answer_by for r in AccessRequest.objects.filter(pod__isnull=True))
    assert f"({last:%Y-%m-%d %H:%M} UTC)" in warning.hint
    AccessRequest.objects.update(status=AccessRequest.Status.WITHDRAWN, decided_at=timezone.now())
    assert check() == []  # only pending ones can still reach a citizen


def test_an_expired_held_request_is_pruned_and_never_attached(employer, citizen, settings):
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    key = register_key(employer)
    answers = {}
    for national_id in (KNOWN, UNKNOWN):
        response, _ = send(
            employer, requestformat.sign(request_body(citizen={"nationalId": national_id}), key)
        )
        answers[national_id] = response.json()["id"]
    AccessRequest.objects.update(answer_by=timezone.now() - timedelta(seconds=1))
    # Past its answer-by date, before the sweep: the requester sees it expired, and no pod takes it.
    assert employer.get(f"{REQUESTS}/{answers[UNKNOWN]}").json()["status"] == "expired"

    assert sweep_lifecycle()["requestsExpired"] == 2

    pruned = held(answers[UNKNOWN])
    assert (pruned.status, pruned.pod, pruned.national_id_digest) == ("expired", None, "")
    evidence = RequestEvidence.objects.get(request_id=answers[UNKNOWN])
    assert (evidence.kek_id, bytes(evidence.sealed)) == ("", b"")
    views = [employer.get(f"{REQUESTS}/{answers[number]}").json() for number in (KNOWN, UNKNOWN)]
    same_shape(*views)
    assert views[1]["status"] == "expired" and views[1]["decidedAt"] is not None
    newcomer = make_citizen("newcomer@example.org", UNKNOWN)
    assert held(answers[UNKNOWN]).pod is None
    assert not AccessEvent.objects.filter(pod=newcomer.pod, action=AccessEvent.Action.REQUEST_FILED).exists()
    assert sweep_lifecycle()["requestsExpired"] == 0  # once


def test_a_withdrawn_held_request_is_let_go(employer, db):
    request_id = filed_to(employer, UNKNOWN).json()["id"]
    withdrawn = employer.post(f"{REQUESTS}/{request_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert held(request_id).national_id_digest == ""
    newcomer = make_citizen("newcomer@example.org", UNKNOWN)
    assert held(request_id).pod is None
    assert not Notification.objects.filter(recipient=newcomer.user).exists()


def _wait_for_a_waiter(seconds: float = 5.0) -> bool:
    """Until another transaction waits on an advisory lock (pg_locks), or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_filing_while_the_pod_opens_waits_for_it_and_goes_to_the_pod(employer):
    """The pod's opening holds the identifier's lock until it commits; a filing that missed the
    pod (not committed yet) waits on that lock, then finds it: nothing is held for a pod that
    already exists."""
    opened, filing = threading.Event(), threading.Event()
    found: dict[str, object] = {}

    def open_it() -> None:
        try:
            with transaction.atomic():
                found["pod"] = create_citizen(email="newcomer@example.org", national_id=UNKNOWN)
                opened.set()
                filing.wait(5)
                waited = _wait_for_a_waiter()
                found["waited"] = waited
        finally:
            connection.close()

    def file_it() -> None:
        try:
            opened.wait(5)
            filing.set()
            found["request"] = filed_to(employer, UNKNOWN).json()["id"]
        finally:
            connection.close()

    threads = [threading.Thread(target=open_it), threading.Thread(target=file_it)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found["waited"], "the filing never waited on the identifier's lock"
    request = held(found["request"])
    assert request.pod_id == found["pod"].pk  # type: ignore[attr-defined]
    assert (
        AccessEvent.objects.filter(request_id=request.pk, action=AccessEvent.Action.REQUEST_FILED).count()
        == 1
    )


# --- the candidate's link, on a first sign-in ----------------------------------------------------


@pytest.fixture(scope="module")
def provider():
    with running_provider(
        users={"newcomer": op_citizen(NEWCOMER_NRN, "newcomer@example.org")}, redirect_uris=[CALLBACK]
    ) as op:
        yield op


def test_the_candidate_link_leads_a_first_time_citizen_to_the_request(employer, settings, provider):
    with portal_signing_in_at(provider, settings):
        request_id = filed_to(employer, UNKNOWN).json()["id"]
        link = urlsplit(employer_link(employer, request_id)).path
        client = Client()
        to_login = client.get(link)
        assert to_login.status_code == 302 and "/portal/login/" in to_login["Location"]
        start = client.get(f"/portal/oidc/start/?next={link}")
        answer = client.get(local(at_provider(start["Location"], "newcomer")))
        assert answer.status_code == 302 and answer["Location"] == link
        user = signed_in_user(client)
        assert held(request_id).pod == Pod.objects.get(owner=user)
        landing = client.get(link)
        assert landing.status_code == 302 and landing["Location"].endswith(f"#request-{request_id}")
        page = client.get(landing["Location"].split("#")[0]).content.decode()
        assert f'id="request-{request_id}"' in page and "Acme Recruiting" in page


def employer_link(employer, request_id: str) -> str:
    from consent.portal.console import candidate_link

    return candidate_link(AccessRequest.objects.get(pk=request_id))
