from datetime import timedelta

from django.utils import timezone

PURPOSE = "dpv:HumanResourceManagement"


def file_approve_and_read(citizen, employer, *, challenge: str) -> None:
    """The employer asks for the citizen's diploma, the citizen approves, the employer reads once:
    after the pod's opening and the issuance, the log holds filed, approved and read (seq 3 to 5)."""
    response = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": "BE:85073003328"},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": PURPOSE,
            "purposeDescription": "Checking the degree.",
            "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    grant = citizen.post(f"/api/v1/pod/access-requests/{response.json()['id']}/approve", {}).json()
    read = f"/api/v1/grants/{grant['id']}/credentials?purpose={PURPOSE}"
    read += f"&challenge={challenge}&domain=hr.example"
    assert employer.get(read).status_code == 200
