from core.errors import Invalid, NotFound

NO_POD_FOR_CITIZEN = "No citizen with that national identifier has a pod here."


class CitizenNotFound(NotFound):
    code = "citizen-not-found"
    title = "No citizen with that identifier"


class InvalidNationalId(Invalid):
    code = "invalid-national-id"
    title = "The national identifier is not valid"
