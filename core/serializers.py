"""Request bodies that refuse what they do not understand.

A member we do not know is refused by name, never dropped: a misspelt ``validUnitl`` silently
ignored would approve the full period asked for, so a typo would widen a grant. A write whose
body is missing, or is not a JSON object, is refused too: an empty body is not "all defaults"
(send ``{}`` for that).
"""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request


def unknown_members(data: Mapping[str, Any], serializer: serializers.Serializer) -> list[str]:
    """The members of ``data`` that ``serializer`` has no writable field for, sorted."""
    known = {name for name, field in serializer.fields.items() if not field.read_only}
    return sorted(str(name) for name in data if name not in known)


def refuse_unknown_parameters(params: Iterable[str], accepted: Collection[str]) -> None:
    """Raise a ValidationError (a 400 problem document) naming each query parameter of
    ``params`` that is not in ``accepted``, with what is: a misspelt parameter silently ignored
    would answer a question the client did not ask (``?chalenge=`` read as no challenge, a
    ``?types=`` filter read as none). A set difference, cheap enough for every read."""
    unknown = set(params).difference(accepted)
    if unknown:
        hint = f"accepted here: {', '.join(sorted(accepted))}" if accepted else "this endpoint takes none"
        raise serializers.ValidationError(
            {name: [f"Unknown query parameter ({hint})."] for name in sorted(unknown)},
            code="unknown-parameter",
        )


# The schema's word for refuse_unknown_parameters' answer, on the endpoints that use it.
UNKNOWN_PARAMETER = OpenApiResponse(
    description=(
        "application/problem+json: a query parameter missing or malformed, or one this endpoint "
        "does not take, each named in errors[].pointer (/name) with what is accepted."
    )
)


class StrictSerializer(serializers.Serializer):
    """A request body (or a part of one): unknown members are a 400 naming each of them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = unknown_members(data, self)
            if unknown:
                accepted = sorted(name for name, field in self.fields.items() if not field.read_only)
                hint = f"accepted here: {', '.join(accepted)}" if accepted else "nothing is accepted here"
                raise serializers.ValidationError(
                    {name: [f"Unknown member ({hint})."] for name in unknown}, code="unknown-member"
                )
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean, and nothing that merely looks like one ("yes", 1, "true")."""

    default_error_messages = {"invalid": "Must be a JSON boolean, true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def require_body(request: Request) -> None:
    """Refuse a write with no body, or with a body but no Content-Type.

    DRF reads both as an empty body (``request.data == {}``); for a write that is ambiguous,
    so it is refused with a reason instead of being taken as "all defaults".
    """
    if request.stream is None:
        raise ParseError("The request has no body: send a JSON object ({} to accept every default).")
    if not request.content_type:
        raise UnsupportedMediaType(
            "", detail="The request has a body but no Content-Type; send it as application/json."
        )


def validated_body(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's body, required and validated by ``serializer_class`` (400 on any problem)."""
    require_body(request)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
