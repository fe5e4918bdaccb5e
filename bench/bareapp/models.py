from django.db import models


class Document(models.Model):
    """One JSON document per row (the signed diploma the project serves, about 2.2 KB)."""

    body = models.JSONField()

    class Meta:
        app_label = "bareapp"

    def __str__(self) -> str:
        return f"document {self.pk}"
