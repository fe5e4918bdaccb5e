from core.errors import Conflict, Forbidden, Invalid, NotFound

NO_POD_FOR_CITIZEN = "No citizen with that national identifier has a pod here."


class CitizenNotFound(NotFound):
    code = "citizen-not-found"
    title = "No citizen with that identifier"


class InvalidNationalId(Invalid):
    code = "invalid-national-id"
    title = "The national identifier is not valid"
    problem = ""  # what is wrong, a key of accounts.identity.NATIONAL_ID_PROBLEMS


class SignInRefused(Forbidden):
    """The OpenID Provider's answer is not a sign-in we accept (accounts.oidc): ``reason`` is a
    stable slug for the log and the test, ``why`` what failed (neither holds the national
    identifier), ``detail`` for humans."""

    code = "sign-in-refused"
    title = "Sign-in refused"

    def __init__(self, detail: str, *, reason: str, why: str = "") -> None:
        super().__init__(detail, why=why)
        self.reason = reason


class InvalidRequestKey(Invalid):
    code = "invalid-request-key"
    title = "Not a key requests can be signed with"


class RequestKeyTaken(Conflict):
    code = "request-key-taken"
    title = "That key is already registered"


class RequestKeyNotFound(NotFound):
    code = "request-key-not-found"
    title = "No such request-signing key"
