"""Domain errors: raised by services and selectors, mapped to HTTP once, in core.problems.

They build on vc.errors.VcError, the VC library's base error, which carries what a problem
document needs; the handler maps every VcError, ours and the library's, the same way.
"""

from vc.errors import Invalid as InvalidContent
from vc.errors import VcError


class DomainError(VcError):
    """A business rule refused the request.

    ``code`` is a stable slug that becomes the problem ``type``; ``detail`` is for humans;
    keyword arguments become extension members of the problem document.
    """


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


class Invalid(DomainError, InvalidContent):
    """The content is not acceptable (422): the code, title and status of vc.errors.Invalid."""
