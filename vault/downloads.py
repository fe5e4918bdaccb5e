"""A personal document as an HTTP download, the same for every door that hands one out: the
citizen's own (vault.api), a grantee's through the API and through the employer's console
(consent). The read itself (its decision and its log entry) is done before; this only says how
the bytes leave: as an attachment never shown inline, under a file name that cannot carry a path
or a header of its own and that ends in the extension of its content type, with the content type
the bytes were checked to be, not sniffed, and not kept by any cache.
"""

from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .documents import EXTENSIONS
from .models import PodDocument


def safe_filename(name: str, content_type: str) -> str:
    """``name`` as a file name to save under: the part after any slash, without control
    characters or quotes, ending in the extension of ``content_type`` (so a PDF named "cv.html"
    is saved as "cv.html.pdf", never opened as a page)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ord(ch) >= 32 and ch not in '"').strip(" .") or "document"
    extension = EXTENSIONS.get(content_type)
    endings = (".jpg", ".jpeg") if extension == "jpg" else (f".{extension}",)
    if extension and not cleaned.lower().endswith(endings):
        cleaned = f"{cleaned}.{extension}"
    return cleaned


def download_response(
    document: PodDocument, name: str, content: bytes | Iterable[bytes]
) -> HttpResponse | StreamingHttpResponse:
    """The document's ``content`` as an attachment named after ``name`` (safe_filename): sent
    as it is when it is already whole (bytes), else streamed a chunk at a time."""
    response: HttpResponse | StreamingHttpResponse
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=document.content_type)
    else:
        response = StreamingHttpResponse(content, content_type=document.content_type)
    response["Content-Length"] = str(document.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=safe_filename(name, document.content_type)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
