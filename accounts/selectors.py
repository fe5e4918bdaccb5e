from django.db.models import Count, Q

from .errors import NO_POD_FOR_CITIZEN, CitizenNotFound
from .identity import national_id_digests
from .models import User


def citizen_by_national_id(national_id: str) -> User:
    """The active citizen with this national identifier, hashed under any version of the
    lookup-hash ring (one query: digests under different keys do not collide); raises
    CitizenNotFound otherwise."""
    user = User.objects.filter(
        national_id_digest__in=national_id_digests(national_id), is_active=True
    ).first()
    if user is None:
        raise CitizenNotFound(NO_POD_FOR_CITIZEN)
    return user


def lookup_hash_usage() -> dict[str, dict[str, int]]:
    """Per lookup-hash version: how many citizens' digests it made, and how many of those have
    no sealed identifier (they cannot be re-hashed until an issuer names them again)."""
    rows = (
        User.objects.filter(national_id_digest__isnull=False)
        .values("national_id_hash_version")
        .annotate(citizens=Count("pk"), unsealed=Count("pk", filter=Q(national_id_kek_id="")))
        .order_by("national_id_hash_version")
    )
    return {
        row["national_id_hash_version"]: {"citizens": row["citizens"], "unsealed": row["unsealed"]}
        for row in rows
    }
