"""RFC 9457 problem details for every error the API returns.

Domain errors and DRF's own exceptions both become ``application/problem+json`` with a stable
``type`` (documented in docs/api/problems.md), a ``title``, the ``status`` and a human ``detail``.
"""

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

from vc.errors import VcError

from .keyring import DecryptionError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://w3id.org/citizen-vault/problems#"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this endpoint accepts."
    default_code = "payload-too-large"


_DRF_CODES: list[tuple[type[exceptions.APIException], str, str]] = [
    (exceptions.ParseError, "malformed-request", "The request body could not be parsed"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported media type"),
    (exceptions.NotAuthenticated, "not-authenticated", "Authentication required"),
    (exceptions.AuthenticationFailed, "authentication-failed", "Authentication failed"),
    (exceptions.PermissionDenied, "forbidden", "Not allowed"),
    (exceptions.NotFound, "not-found", "Not found"),
    (exceptions.MethodNotAllowed, "method-not-allowed", "Method not allowed"),
    (exceptions.NotAcceptable, "not-acceptable", "Not acceptable"),
    (exceptions.Throttled, "rate-limited", "Too many requests"),
    (exceptions.ValidationError, "validation-error", "The request is not valid"),
    (PayloadTooLarge, "payload-too-large", "Payload too large"),
]


# How long a client should wait before retrying while the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 30

# PostgreSQL SQLSTATEs that mean "cannot serve now", not "bad query": class 08 (connection
# exception), too many connections, and the server shutting down or still starting.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached, rather than that a query failed.

    True for Django's OperationalError / InterfaceError whose driver error is a lost or refused
    PostgreSQL connection (libpq's own errors, which carry no SQLSTATE: connection refused,
    server closed the connection, connection already closed; or a SQLSTATE above) or a SQLite
    file that cannot be opened. False for everything else, "database is locked", deadlocks,
    serialization failures and timeouts included: those are not an outage, and a bad query is a bug.
    """
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    cause = exc.__cause__
    if cause is None:
        return False
    driver = type(cause).__module__.partition(".")[0]
    if driver in ("psycopg", "psycopg2"):
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if sqlstate:
            return sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate in _UNAVAILABLE_SQLSTATES
        kind = type(cause).__name__
        return kind == "OperationalError" or (kind == "InterfaceError" and "closed" in str(cause))
    if driver == "sqlite3":
        return "unable to open database file" in str(cause)
    return False


def _database_unavailable_problem(exc: BaseException, **extra: Any) -> dict[str, Any]:
    cause = exc.__cause__
    logger.error(
        "Database unavailable (%s: %s); answered 503.",
        type(cause).__name__,
        str(cause).strip().splitlines()[0] if str(cause).strip() else "",
    )
    return problem(
        code="service-unavailable",
        title="Service unavailable",
        status_code=503,
        detail="The database cannot be reached just now; try again shortly.",
        **extra,
    )


def problem(*, code: str, title: str, status_code: int, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
    }
    body.update(extra)
    return body


def _flatten(errors: Any, pointer: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error structure into a list of JSON-pointer-addressed errors."""
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            sub = pointer if key == "non_field_errors" else f"{pointer}/{key}"
            out.extend(_flatten(value, sub))
        return out
    if isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            return [{"pointer": pointer or "/", "detail": str(item)} for item in errors]
        out = []
        for index, value in enumerate(errors):
            out.extend(_flatten(value, f"{pointer}/{index}"))
        return out
    return [{"pointer": pointer or "/", "detail": str(errors)}]


def _drf_problem(exc: exceptions.APIException) -> dict[str, Any]:
    code, title = "error", "Error"
    for cls, cls_code, cls_title in _DRF_CODES:
        if isinstance(exc, cls):
            code, title = cls_code, cls_title
            break
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(
            f"{e['pointer']}: {e['detail']}" if e["pointer"] != "/" else e["detail"] for e in errors
        )
        return problem(code=code, title=title, status_code=exc.status_code, detail=detail, errors=errors)
    return problem(code=code, title=title, status_code=exc.status_code, detail=str(exc.detail))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every known error becomes a problem document; others stay 500s."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    headers: dict[str, str] = {}
    if isinstance(exc, VcError):  # core.errors.DomainError and the vc library's errors
        # Our own details are written in English only: say so, whatever Accept-Language asked
        # for (DRF's own messages, below, follow it, and LocaleMiddleware labels them).
        headers["Content-Language"] = "en"
        body = problem(
            code=exc.code,
            title=exc.title,
            status_code=exc.status,
            detail=exc.detail,
            **exc.extra,
        )
    elif isinstance(exc, exceptions.APIException):
        body = _drf_problem(exc)
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait))
    elif isinstance(exc, DecryptionError):
        # Stored data that fails authentication is an integrity incident, not bad input: say so,
        # alert the operator, reveal nothing about the record.
        logger.error("Integrity failure while opening stored data: %s", exc)
        body = problem(
            code="integrity-failure",
            title="Stored data failed its integrity check",
            status_code=500,
            detail="A stored record could not be opened; the operator has been alerted.",
        )
    elif database_unavailable(exc):
        body = _database_unavailable_problem(exc)
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    else:
        return None

    request = context.get("request")
    if request is not None:
        body["instance"] = request.path
    # Imported here, not at the top: rest_framework.views loads DEFAULT_PARSER_CLASSES, and
    # core.parsers imports this module, so a top-level import is circular when it comes first.
    from rest_framework.views import set_rollback

    set_rollback()
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


API_PREFIXES = (
    "/api/",
    "/contexts/",
    "/credentials/",
    "/presentations/",
    "/status-lists/",
    "/oauth2/",
    "/.well-known/",
)  # where clients expect problem documents, not pages


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def bad_request(request, exception=None):
    """400 raised outside a DRF view (a Host header not in ALLOWED_HOSTS, another suspicious
    request): a problem document under /api/, Django's page elsewhere."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return JsonResponse(
        problem(
            code="bad-request",
            title="Bad request",
            status_code=400,
            detail="The request could not be accepted as sent (for example, a Host header this service does "
            "not answer to).",
        ),
        status=400,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def not_found(request, exception=None):
    """404 for URLs no view matched: a problem document under /api/, Django's page elsewhere."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        problem(
            code="not-found",
            title="Not found",
            status_code=404,
            detail=f"No resource at {request.path}.",
            instance=request.path,
        ),
        status=404,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def server_error(request):
    """500 outside a DRF view: a problem document under /api/, Django's page elsewhere.

    Django calls this while handling the exception, so it is at hand: under /api/, a database
    that cannot be reached is a 503 with Retry-After, as in DRF views.
    """
    if not _is_api(request):
        return defaults.server_error(request)
    exc = sys.exception()
    if exc is not None and database_unavailable(exc):
        return JsonResponse(
            _database_unavailable_problem(exc, instance=request.path),
            status=503,
            content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return JsonResponse(
        problem(
            code="server-error",
            title="Internal error",
            status_code=500,
            detail="The server failed to handle this request; it has been logged.",
            instance=request.path,
        ),
        status=500,
        content_type=PROBLEM_CONTENT_TYPE,
    )
