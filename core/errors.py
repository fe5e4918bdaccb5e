"""Domain errors: raised by services and selectors, mapped to HTTP once, in core.problems."""

from typing import Any


class DomainError(Exception):
    """A business rule refused the request.

    ``code`` is a stable slug that becomes the problem ``type``; ``detail`` is for humans;
    keyword arguments become extension members of the problem document.
    """

    code = "request-refused"
    title = "The request was refused"
    status = 400

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    title = "Conflicts with the current state"
    status = 409


class Invalid(DomainError):
    code = "invalid"
    title = "The content is not acceptable"
    status = 422
