from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "Pods and access log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from accounts.console import register_page
        from accounts.models import Organisation

        from . import checks, receivers  # noqa: F401  (registers the checks, connects the receivers)

        # The issuer's console: issued credentials (and their status), one to issue, classes.
        issuer = [Organisation.Kind.ISSUER]
        register_page(
            kinds=issuer,
            url_name="portal:console-issued",
            label=_("Issued"),
            current=["console-status"],
            order=10,
        )
        register_page(kinds=issuer, url_name="portal:console-issue", label=_("Issue one"), order=20)
        register_page(
            kinds=issuer,
            url_name="portal:console-batches",
            label=_("Classes (CSV)"),
            current=["console-batch", "console-batch-report"],
            order=30,
        )
