from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent: requests and grants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vault.podexport import register_section

        from .exports import consent_records

        # A pod's export carries its grants and requests (the vault cannot read consent's tables).
        register_section("consent.json", consent_records)
