from rest_framework import serializers


class ClaimSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="A JSON pointer into credentialSubject, e.g. /degree/name.")
    label = serializers.CharField(help_text="What people call it.")  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=["text", "date", "choice", "boolean", "list"])
    required = serializers.BooleanField(help_text="Every credential of the type holds it.")  # type: ignore[assignment]
    choices = serializers.ListField(
        child=serializers.CharField(), help_text="The values allowed, if a choice."
    )
    csvColumn = serializers.CharField(source="column", help_text="Its column in a batch CSV of the type.")


class CredentialTypeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The type, as credentials and access requests name it.")
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    contexts = serializers.ListField(
        child=serializers.CharField(), help_text="The @context it needs, in order."
    )
    subjectSchema = serializers.CharField(
        source="subject_schema", allow_null=True, help_text="The pinned JSON Schema its subject must meet."
    )
    claims = ClaimSerializer(many=True, help_text="What a requester may ask for; a batch CSV's columns.")
