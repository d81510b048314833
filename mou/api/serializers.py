"""Serializers of the mou API. They shape input; mou.services applies the rules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agencies.choices import Action, RecordType
from agencies.models import Agency, StaffMember
from mou.choices import TermScope
from mou.models import MOU, DataSharingTerm, MOUParty, Signature


class PartySerializer(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.active())
    signatory = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.filter(is_signatory=True, active=True),
        allow_null=True,
        required=False,
    )
    agency_name = serializers.CharField(source="agency.name", read_only=True)


class TermSerializer(serializers.ModelSerializer):
    """A data-sharing term. `fields` are names from agencies.vocabulary for the record type."""

    fields = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=Action.choices), default=[Action.VIEW]
    )
    record_type = serializers.ChoiceField(choices=RecordType.choices)
    scope = serializers.ChoiceField(choices=TermScope.choices, default=TermScope.ASSIGNED)
    provider = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    recipient = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())

    class Meta:
        model = DataSharingTerm
        fields = [
            "id",
            "mou",
            "version",
            "provider",
            "recipient",
            "record_type",
            "fields",
            "actions",
            "scope",
            "superseded_at",
            "created_at",
        ]
        read_only_fields = ["version", "superseded_at", "created_at"]
        extra_kwargs = {"mou": {"queryset": MOU.objects.all()}}

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "mou" in fields:
            # only MOUs the caller can see (same answer for "missing" and "not yours")
            fields["mou"].queryset = MOU.objects.restrict(request.user, "view")
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["mou"].read_only = True
        return fields


class SignatureSerializer(serializers.ModelSerializer):
    signed_by_name = serializers.CharField(source="signed_by.full_name", read_only=True)

    class Meta:
        model = Signature
        fields = ["agency", "signed_by", "signed_by_name", "terms_version", "signed_at"]
        read_only_fields = fields


class MOUSerializer(serializers.ModelSerializer):
    """An MOU with its parties, signatures and the terms of its current (and pending) version."""

    parties = PartySerializer(many=True, source="party_rows")
    signatures = SignatureSerializer(many=True, read_only=True)
    terms = serializers.SerializerMethodField()
    pending_terms = serializers.SerializerMethodField()

    class Meta:
        model = MOU
        fields = [
            "id",
            "title",
            "purpose",
            "effective_date",
            "expiration_date",
            "status",
            "drafted_by",
            "terms_version",
            "activated_at",
            "ended_at",
            "termination_reason",
            "document",
            "parties",
            "signatures",
            "terms",
            "pending_terms",
        ]
        read_only_fields = [
            "status",
            "drafted_by",
            "terms_version",
            "activated_at",
            "ended_at",
            "termination_reason",
            "document",
        ]

    def _terms(self, mou: MOU, version: int) -> list[dict[str, Any]]:
        rows = [t for t in mou.terms.all() if t.version == version and t.superseded_at is None]
        return TermSerializer(rows, many=True, context=self.context).data

    def get_terms(self, mou: MOU) -> list[dict[str, Any]]:
        return self._terms(mou, mou.terms_version)

    def get_pending_terms(self, mou: MOU) -> list[dict[str, Any]]:
        return self._terms(mou, mou.terms_version + 1)

    def party_specs(self) -> list[tuple[Agency, StaffMember | None]]:
        return [(p["agency"], p.get("signatory")) for p in self.validated_data["party_rows"]]


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PreviewTermSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="term.id")
    provider = serializers.IntegerField(source="term.provider_id")
    record_type = serializers.CharField(source="term.record_type")
    fields = serializers.ListField(source="term.fields", child=serializers.CharField())
    actions = serializers.ListField(source="term.actions", child=serializers.CharField())
    scope = serializers.CharField(source="term.scope")
    cases = serializers.IntegerField(allow_null=True)


class MOUPreviewSerializer(serializers.Serializer):
    """What one recipient would gain from the MOU."""

    recipient = serializers.IntegerField(source="recipient.id")
    recipient_name = serializers.CharField(source="recipient.name")
    cases = serializers.IntegerField(allow_null=True)
    terms = PreviewTermSerializer(many=True)


__all__ = [
    "MOUParty",
    "MOUSerializer",
    "PartySerializer",
    "MOUPreviewSerializer",
    "SignatureSerializer",
    "TermSerializer",
    "TerminateSerializer",
]
