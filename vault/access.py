"""The access context: who acts on a pod, why, and under which grant or legal basis.

The vault records it with every act; it does not judge it (that is the consent engine's job).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from accounts.models import Organisation, User


@dataclass(frozen=True)
class LegalRead:
    """A read made without the citizen's consent, under a mandate the law gives an agency: the
    mandate, its legal reference (a URL and a title) and the agency's case reference. Recorded
    in each log entry of the read (``legal``); with ``sealed_until``, the entry shows only that
    it is a legal read by the agency, sealed until that date, and commits to a digest of the
    rest (vault.sealing), which opens on that date."""

    mandate_id: uuid.UUID | None
    reference_url: str
    reference_title: str
    case_reference: str
    sealed_until: datetime | None = None

    def block(self) -> dict[str, str | None]:
        """What an open entry records of the legal read (the ``legal`` member of its payload)."""
        return {
            "mandate": str(self.mandate_id) if self.mandate_id else None,
            "reference": self.reference_url,
            "title": self.reference_title,
            "case": self.case_reference,
        }


@dataclass(frozen=True)
class AccessContext:
    actor_kind: str
    actor_label: str
    organisation: Organisation | None = None
    purpose: str = ""
    legal_basis: str = ""
    grant_id: uuid.UUID | None = None
    request_id: uuid.UUID | None = None
    legal: LegalRead | None = None  # a read under a mandate (consent.models.Mandate)

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
