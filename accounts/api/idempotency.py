"""The Idempotency-Key header at the HTTP edge: its OpenAPI description and the replay header."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Optional, 1 to 255 visible ASCII characters, unique per organisation: a request repeating "
        "a key and its body answers as the first did (header `Idempotent-Replayed: true`) and makes "
        "nothing new; the same key with another body is a 422."
    ),
)


def replay_headers(replayed: bool) -> dict[str, str]:
    return {"Idempotent-Replayed": "true"} if replayed else {}
