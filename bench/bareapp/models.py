from django.conf import settings
from django.db import models


class Document(models.Model):
    """One JSON document per row (the signed diploma the project serves, about 2.2 KB)."""

    body = models.JSONField()

    class Meta:
        app_label = "bareapp"

    def __str__(self) -> str:
        return f"document {self.pk}"


class Read(models.Model):
    """One row per logged read (the floor endpoint): who read which document, and when."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bareapp"

    def __str__(self) -> str:
        return f"read of document {self.document_id}"
