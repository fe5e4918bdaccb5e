"""A pod with signed access requests, as the evidence tests of export and import need them."""

from consent import requestformat
from tests.consent.conftest import request_body
from tests.consent.test_signed_requests import register_key, send


def signed_requests(employer, settings, count: int = 2) -> list[tuple[str, bytes]]:
    """``count`` requests the employer signs with a key it registered, filed to the citizen of
    tests.conftest: (request id, the bytes as sent) each."""
    settings.ACCESS_REQUESTS_REQUIRE_SIGNATURE = True
    key = register_key(employer)
    made = []
    for number in range(count):
        body = request_body(purposeDescription=f"Signed request number {number}.")
        response, raw = send(employer, requestformat.sign(body, key))
        assert response.status_code == 201, response.json()
        made.append((response.json()["id"], raw))
    return made
