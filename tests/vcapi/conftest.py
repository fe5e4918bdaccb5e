import pytest

from accounts.models import Organisation
from credentials.selectors import active_issuer_key
from tests.conftest import make_organisation
from vc.jsonld import CREDENTIALS_V1, CREDENTIALS_V2


def plain_credential(**extra):
    """A VCDM 2.0 credential using only the v2 context (no examples @vocab needed)."""
    return {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:alice", "name": "Alice"},
        **extra,
    }


def vcdm11_credential(**extra):
    """What the W3C eddsa suite issues: VCDM 1.1, issuanceDate, a subject with only an id."""
    return {
        "@context": [CREDENTIALS_V1],
        "id": "urn:uuid:86294362-4254-4f36-854f-3952fe42555d",
        "type": ["VerifiableCredential"],
        "issuanceDate": "2020-03-16T22:37:26.544Z",
        "credentialSubject": {"id": "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"},
        **extra,
    }


@pytest.fixture
def issuer_did(university):
    return active_issuer_key(university.organisation).did


@pytest.fixture
def other_university(db):
    return make_organisation("Other University", Organisation.Kind.ISSUER)


@pytest.fixture
def issue(university, issuer_did):
    """POST /credentials/issue as the university (its DID as issuer unless the credential names
    one); returns the signed credential."""

    def _issue(credential, **options):
        credential = {"issuer": issuer_did, **credential}
        body = {"credential": credential, **({"options": options} if options else {})}
        response = university.post("/credentials/issue", body)
        assert response.status_code == 201, response.json()
        return response.json()["verifiableCredential"]

    return _issue
