"""Inclusion and consistency proofs served to the citizen, for their own pod only."""

import base64

import pytest
from django.db import transaction

from vault import accesslog, logformat, logkeys, merkle
from vault.access import AccessContext
from vault.models import AccessEvent

INCLUSION, CONSISTENCY = "/api/v1/pod/log/proof/inclusion", "/api/v1/pod/log/proof/consistency"


def grow(pod, organisation, times: int) -> None:
    for _ in range(times):
        with transaction.atomic():
            accesslog.append(
                pod,
                context=AccessContext.for_organisation(organisation),
                action=AccessEvent.Action.ACCESS_DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                reason="probe",
            )


def b64(values):
    return [base64.b64decode(value) for value in values]


def test_an_inclusion_proof_proves_the_entry_under_the_signed_root(citizen, employer):
    grow(citizen.pod, employer.organisation, 10)  # 11 entries
    body = citizen.get(f"{INCLUSION}?seq=4").json()
    signed = logformat.open_checkpoint(body["checkpoint"]["note"], logkeys.verifier_keys()).checkpoint
    entry = AccessEvent.objects.get(pod=citizen.pod, seq=4)
    assert (body["seq"], body["treeSize"], signed.size) == (4, 11, 11)
    assert base64.b64decode(body["leafHash"]) == logformat.entry_leaf_hash(accesslog.entry_payload(entry))
    merkle.verify_inclusion(3, 11, base64.b64decode(body["leafHash"]), b64(body["proof"]), signed.root)


def test_a_consistency_proof_links_a_kept_checkpoint_to_the_log_now(citizen, employer):
    grow(citizen.pod, employer.organisation, 5)
    kept = logformat.checkpoint_of(citizen.get("/api/v1/pod/log").json()["checkpoint"]["note"])
    grow(citizen.pod, employer.organisation, 7)
    body = citizen.get(f"{CONSISTENCY}?fromSize={kept.size}").json()
    now = logformat.open_checkpoint(body["checkpoint"]["note"], logkeys.verifier_keys()).checkpoint
    assert (body["fromSize"], body["treeSize"]) == (6, 13)
    merkle.verify_consistency(6, 13, kept.root, now.root, b64(body["proof"]))


def test_a_proof_in_an_older_tree_comes_without_a_checkpoint(citizen, employer):
    grow(citizen.pod, employer.organisation, 5)
    body = citizen.get(f"{INCLUSION}?seq=2&treeSize=3").json()
    assert (body["treeSize"], body["checkpoint"]) == (3, None)
    leaves = accesslog.leaf_hashes(citizen.pod, 3)
    merkle.verify_inclusion(1, 3, leaves[1], b64(body["proof"]), merkle.root(leaves))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"{INCLUSION}?seq=3", "log-proof-unavailable"),
        (f"{INCLUSION}?seq=1&treeSize=9", "log-proof-unavailable"),
        (f"{INCLUSION}?seq=0", "validation-error"),
        (f"{INCLUSION}?seq=x", "validation-error"),
        (f"{INCLUSION}", "validation-error"),
        (f"{INCLUSION}?seq=1&sequence=1", "validation-error"),
        (f"{CONSISTENCY}?fromSize=5", "log-proof-unavailable"),
        (f"{CONSISTENCY}?fromSize=2&treeSize=1", "log-proof-unavailable"),
        (f"{CONSISTENCY}?fromSize=99999999999999999999999", "validation-error"),
    ],
)
def test_bad_proof_requests_are_a_clear_400(citizen, url, problem):
    response = citizen.get(url)  # the pod holds 1 entry
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("#" + problem) or problem == "validation-error"


@pytest.mark.parametrize("url", [f"{INCLUSION}?seq=1", f"{CONSISTENCY}?fromSize=1"])
def test_proofs_are_for_the_citizen_and_their_own_pod_only(url, citizen, other_citizen, employer, anonymous):
    assert anonymous.get(url).status_code == 401
    assert employer.get(url).status_code in (403, 404)
    mine = citizen.get(url).json()["checkpoint"]["origin"]
    theirs = other_citizen.get(url).json()["checkpoint"]["origin"]
    assert mine.endswith(str(citizen.pod.pk)) and theirs.endswith(str(other_citizen.pod.pk))
