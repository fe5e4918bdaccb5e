from core.errors import Invalid, NotFound


class CitizenNotFound(NotFound):
    code = "citizen-not-found"
    title = "No citizen with that identifier"


class InvalidNationalId(Invalid):
    code = "invalid-national-id"
    title = "The national identifier is not valid"
