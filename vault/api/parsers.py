"""Parsers for batch uploads: a CSV body, or a multipart form with the CSV as a file part.

Both refuse a body over BATCH_MAX_BYTES with a 413 before reading it (the JSON limit,
API_MAX_BODY_BYTES, is too small for a graduating class).
"""

from django.conf import settings
from rest_framework.parsers import BaseParser, MultiPartParser

from core.problems import PayloadTooLarge

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 16 * 1024


def _refuse_declared_length(parser_context, limit: int) -> None:
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit} bytes.")


class CsvParser(BaseParser):
    """``text/csv`` bodies, returned as bytes (at most BATCH_MAX_BYTES)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.BATCH_MAX_BYTES
        _refuse_declared_length(parser_context, limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The CSV is larger than the limit of {limit} bytes.")
        return raw


class BoundedMultiPartParser(MultiPartParser):
    """Multipart forms, refused up front when the declared length is over the batch limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_declared_length(parser_context, settings.BATCH_MAX_BYTES + MULTIPART_OVERHEAD_BYTES)
        return super().parse(stream, media_type, parser_context)
