"""Why a log entry happened, in the citizen's words: the one table of the log's reason codes.

An entry's ``reason`` is a short code, hashed with the entry and never rewritten: the consent
engine's refusals (consent.decisions, and the codes consent.services logs a refusal under), the
citizen's and the system's notes on a request or grant, and the vault's own (a listing, a
replayed issuance, an import). The API and the downloads give the code as it is; "Who looked"
says it in the active language with ``in_words``. Every code the log can hold is here:
tests/vault/test_reasons.py reads the code that writes entries and fails on a reason without
words. A few codes carry a value (a read limit, a date, counts): they are matched by the shape
they are written in.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import timezones

WORDS: Mapping[str, Promise] = {
    # A refused read (consent.decisions): why the organisation was turned away.
    "not-grantee": _("It tried an access you gave to another organisation."),
    "grant-revoked": _("You had revoked this access."),
    "grant-withdrawn": _("The organisation had given up this access."),
    "grant-expired": _("This access had expired."),
    "grant-exhausted": _("Every read this access allowed had been used."),
    "grant-ended": _("This access had ended."),
    "grant-not-yet-valid": _("This access had not begun yet."),
    "purpose-mismatch": _("It gave another purpose than the one you agreed to."),
    "out-of-scope": _("It asked for more than you agreed to share."),
    "field-out-of-scope": _("It asked for details you did not agree to share."),
    "fields-not-disclosable": _(
        "The credential can only be shared whole, and you agreed to share only some of its details."
    ),
    "document-not-found": _("The document it asked for is not in your pod."),
    "unknown-credential-type": _("It asked for a kind of credential this service does not know."),
    "unknown-purpose": _("It gave a purpose this service does not know."),
    # A refused read under a law (consent.decisions.decide_legal_read).
    "not-an-agency": _("Only a public agency may read under a law, and it is not one."),
    "no-mandate": _("It named no mandate it holds."),
    "not-mandate-holder": _("The mandate it named was given to another agency."),
    "mandate-ended": _("Its mandate had ended."),
    "mandate-not-yet-valid": _("Its mandate was not in force yet."),
    "mandate-expired": _("Its mandate had expired."),
    "case-reference-missing": _("It gave no usable case reference."),
    "out-of-mandate": _("Its mandate does not cover this kind of credential."),
    "field-out-of-mandate": _("Its mandate does not cover these details."),
    # A request's end (consent.services).
    "denied-by-citizen": _("You said no."),
    "unanswered": _("It was not answered in time."),
    # Why an issuer revoked, suspended or reinstated a credential, when it said
    # (credentials.models.StatusReason; logged by vault.receivers).
    "issued-in-error": _("The issuer says it was issued in error."),
    "superseded": _("The issuer replaced it with a new credential."),
    "under-review": _("The issuer is reviewing it."),
    "withdrawn": _("The issuer withdrew it by a decision of its own."),
    "holder-request": _("You asked the issuer to."),
    "review-completed": _("The issuer has finished reviewing it."),
    # The vault's own.
    "listed": _("your list of credentials"),
    "idempotent-replay": _(
        "The issuer sent the same issuance again and was shown the credential it had issued."
    ),
    "data-key-rotation": _("A renewal of the key that encrypts your pod."),
    "summary": _("As a readable summary."),
    "json": _("As JSON, with proofs."),
    "imported": _("Imported with your pod."),
}


@dataclass(frozen=True)
class Shaped:
    """A reason that carries values: ``pattern`` reads them, ``words`` says them."""

    pattern: re.Pattern[str]
    words: Callable[[re.Match[str]], str]


def _read_limit(match: re.Match[str]) -> str:
    count = int(match["count"])
    return ngettext("At most %(count)d read in all.", "At most %(count)d reads in all.", count) % {
        "count": count
    }


def _erasure_due(match: re.Match[str]) -> str:
    try:
        due = datetime.fromisoformat(match["due"])
    except ValueError:
        return match[0]
    if due.tzinfo is None:
        return match[0]
    return str(_("To be erased on %(moment)s unless you cancel.")) % {"moment": timezones.in_words(due)}


def _filed_before_pod(match: re.Match[str]) -> str:
    try:
        filed = datetime.fromisoformat(match["filed"])
    except ValueError:
        return match[0]
    if filed.tzinfo is None:
        return match[0]
    return str(_("Asked on %(moment)s, before your pod was opened; it was waiting for you.")) % {
        "moment": timezones.in_words(filed)
    }


def _imported_counts(match: re.Match[str]) -> str:
    credentials, documents = int(match["credentials"]), int(match["documents"])
    parts = [
        ngettext("%(count)d credential", "%(count)d credentials", credentials) % {"count": credentials},
        ngettext("%(count)d document", "%(count)d documents", documents) % {"count": documents},
    ]
    if match["signed"] is not None:
        signed = int(match["signed"])
        parts.append(
            ngettext("%(count)d signed request checked", "%(count)d signed requests checked", signed)
            % {"count": signed}
        )
    return ", ".join(parts) + "."


# By the shape the code is written in (its f-string, each value as {}): consent.services
# .lower_read_limit and .attach_held_requests, vault.erasure.request_erasure,
# vault.podimport.import_archive.
_IMPORTED = Shaped(
    re.compile(
        r"(?P<credentials>\d+) credentials, (?P<documents>\d+) documents"
        r"(?:, (?P<signed>\d+) signed requests checked)?"
    ),
    _imported_counts,
)
SHAPED: Mapping[str, Shaped] = {
    "max-reads:{}": Shaped(re.compile(r"max-reads:(?P<count>\d+)"), _read_limit),
    "due {}": Shaped(re.compile(r"due (?P<due>\S+)"), _erasure_due),
    "filed {}": Shaped(re.compile(r"filed (?P<filed>\S+)"), _filed_before_pod),
    "{} credentials, {} documents": _IMPORTED,
    "{} credentials, {} documents, {} signed requests checked": _IMPORTED,
}


def in_words(reason: str) -> str:
    """``reason`` in the active language; "" for none; a code this table lacks as it is."""
    if not reason:
        return ""
    words = WORDS.get(reason)
    if words is not None:
        return str(words)
    for shaped in SHAPED.values():
        if match := shaped.pattern.fullmatch(reason):
            return shaped.words(match)
    return reason
