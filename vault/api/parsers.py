"""Parsers for batch uploads: a CSV body, or a multipart form with the CSV as a file part.

Both refuse a body over BATCH_MAX_BYTES with a 413 before reading it (the JSON limit,
API_MAX_BODY_BYTES, is too small for a graduating class), through the one size rule,
vault.batchcsv.check_upload_size.
"""

from django.conf import settings
from rest_framework.parsers import BaseParser, MultiPartParser

from ..batchcsv import check_upload_size

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 16 * 1024


def _declared_length(parser_context) -> int:
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    return int(declared) if declared and declared.isdigit() else 0


class CsvParser(BaseParser):
    """``text/csv`` bodies, returned as bytes (at most BATCH_MAX_BYTES)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        check_upload_size(_declared_length(parser_context))
        raw = stream.read(settings.BATCH_MAX_BYTES + 1) if stream is not None else b""
        check_upload_size(len(raw))
        return raw


class BoundedMultiPartParser(MultiPartParser):
    """Multipart forms, refused up front when the declared length is over the batch limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        check_upload_size(_declared_length(parser_context) - MULTIPART_OVERHEAD_BYTES)
        return super().parse(stream, media_type, parser_context)
