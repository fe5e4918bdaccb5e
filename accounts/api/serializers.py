from rest_framework import serializers


class WhoAmISerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["citizen", "organisation", "user"])
    id = serializers.CharField()
    name = serializers.CharField()
    organisationKind = serializers.CharField(required=False)
