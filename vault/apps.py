from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "Pods and access log"
    default_auto_field = "django.db.models.BigAutoField"
