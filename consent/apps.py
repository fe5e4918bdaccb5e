from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent: requests and grants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vault.logexport import register_purpose_words
        from vault.podexport import register_section
        from vault.podimport import register_evidence_check
        from vault.services import register_pod_opened

        from . import (
            checks,  # noqa: F401  (registers the held requests' lookup-hash check)
            receivers,  # noqa: F401  (connects them)
        )
        from .exports import consent_records, consent_summary
        from .requestformat import verify_evidence
        from .services import attach_held_requests
        from .templatetags.purposes import purpose_label

        # A pod's export carries its grants and requests (the vault cannot read consent's tables).
        register_section("consent.json", consent_records, describe=consent_summary)
        # The log's readable download and the export's summary say purposes in words.
        register_purpose_words(purpose_label)
        # An import checks the signed requests in the archive as consent.verify_request does.
        register_evidence_check(verify_evidence)
        # A pod that opens takes the requests held for its owner's identifier, in its transaction.
        register_pod_opened(attach_held_requests)

        from django.utils.translation import gettext_lazy as _

        from accounts.console import register_page
        from accounts.models import Organisation

        # The employer's console: its requests (a new one, each one, what was shared, under them).
        register_page(
            kinds=[Organisation.Kind.EMPLOYER],
            url_name="portal:console-requests",
            label=_("Requests"),
            current=["console-request", "console-withdraw", "console-read"],
            order=10,
        )
        register_page(
            kinds=[Organisation.Kind.EMPLOYER],
            url_name="portal:console-new-request",
            label=_("New request"),
            order=20,
        )
        # The agency's console: reads under its mandates (consent.portal.agency).
        register_page(
            kinds=[Organisation.Kind.AGENCY],
            url_name="portal:console-legal-reads",
            label=_("Reads under law"),
            current=["console-legal-read-presentation"],
            order=10,
        )
