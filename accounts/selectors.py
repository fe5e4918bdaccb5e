from .errors import NO_POD_FOR_CITIZEN, CitizenNotFound
from .identity import national_id_digest
from .models import User


def citizen_by_national_id(national_id: str) -> User:
    """The active citizen with this national identifier; raises CitizenNotFound otherwise."""
    user = User.objects.filter(national_id_digest=national_id_digest(national_id), is_active=True).first()
    if user is None:
        raise CitizenNotFound(NO_POD_FOR_CITIZEN)
    return user
