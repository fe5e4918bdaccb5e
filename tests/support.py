"""Assertions shared by the API tests."""

from typing import Any

import pytest
from django.test import TestCase

from core.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE


def assert_problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status (and type, if given)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM_BASE)
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.wsgi_request.path
    if code is not None:
        assert body["type"] == PROBLEM_BASE + code, body
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    """The JSON pointers of a validation problem's errors."""
    return [error["pointer"] for error in body["errors"]]


def role_matrix(roles: list[str], **expected: int):
    """Parametrize a test over (role, expected status); every role must be given, none forgotten."""
    assert set(expected) == set(roles), set(expected) ^ set(roles)
    return pytest.mark.parametrize(("role", "status"), list(expected.items()))


LOG_VERIFY = "/api/v1/pod/log/verify"


def checked_log(client) -> dict[str, Any]:
    """The server's check of the client's pod log, as the API gives it: asked for (POST; its task
    runs on commit, eagerly here), then the latest result (GET)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(LOG_VERIFY)
    assert asked.status_code == 202, asked.content
    response = client.get(LOG_VERIFY)
    assert response.status_code == 200
    body = response.json()
    assert body["checkId"] == asked.json()["id"] and body["stale"] is False
    return body
