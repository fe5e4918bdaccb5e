"""The access context: who acts on a pod, why, and under which grant or legal basis.

The vault records it with every act; it does not judge it (that is the consent engine's job).
"""

import uuid
from dataclasses import dataclass

from accounts.models import Organisation, User


@dataclass(frozen=True)
class AccessContext:
    actor_kind: str
    actor_label: str
    organisation: Organisation | None = None
    purpose: str = ""
    legal_basis: str = ""
    grant_id: uuid.UUID | None = None
    request_id: uuid.UUID | None = None

    @classmethod
    def for_organisation(cls, organisation: Organisation, **kwargs) -> "AccessContext":
        return cls(
            actor_kind="organisation",
            actor_label=organisation.name,
            organisation=organisation,
            **kwargs,
        )

    @classmethod
    def for_citizen(cls, user: User, **kwargs) -> "AccessContext":
        return cls(actor_kind="citizen", actor_label="the pod owner", **kwargs)

    @classmethod
    def system(cls, **kwargs) -> "AccessContext":
        return cls(actor_kind="system", actor_label="Citizen Vault", **kwargs)
