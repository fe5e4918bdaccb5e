from .errors import CitizenNotFound
from .identity import national_id_digest
from .models import User


def citizen_by_national_id(national_id: str) -> User:
    """The active citizen with this national identifier; raises CitizenNotFound otherwise."""
    user = User.objects.filter(national_id_digest=national_id_digest(national_id), is_active=True).first()
    if user is None:
        raise CitizenNotFound("No citizen with that national identifier has a pod here.")
    return user
