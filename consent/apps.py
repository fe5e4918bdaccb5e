from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent: requests and grants"
    default_auto_field = "django.db.models.BigAutoField"
