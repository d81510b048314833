"""Serializers for protocols, versions and standards (reference data: no case, so no MOU field
allow-list applies; every active staff member reads them, editors change them)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agencies.choices import Role
from protocols.choices import VersionStatus
from protocols.kinds import StandardKind
from protocols.models import Protocol, ProtocolVersion
from protocols.rendering import render_markdown


class ProtocolSerializer(serializers.ModelSerializer):
    """A protocol and the number of its adopted version."""

    applies_to_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False
    )
    adopted_version = serializers.SerializerMethodField()

    class Meta:
        model = Protocol
        fields = [
            "id",
            "area",
            "title",
            "summary",
            "applies_to_roles",
            "owner_agency",
            "adopted_version",
        ]
        read_only_fields = ["owner_agency"]
        # Uniqueness is checked (and named) by the service, with the model's own message.
        validators: list[Any] = []
        extra_kwargs = {"title": {"validators": []}}

    def get_adopted_version(self, obj: Protocol) -> int | None:
        """Id of the adopted version, if any."""
        for version in obj.versions.all():
            if version.status == VersionStatus.ADOPTED:
                return version.pk
        return None


class ProtocolVersionSerializer(serializers.ModelSerializer):
    """A version's Markdown and its sanitized HTML rendering."""

    body_html = serializers.SerializerMethodField()

    class Meta:
        model = ProtocolVersion
        fields = [
            "id",
            "protocol",
            "number",
            "status",
            "body",
            "body_html",
            "change_summary",
            "effective_from",
            "adopted_at",
            "acknowledge_within_days",
            "adopting_agencies",
        ]
        read_only_fields = ["number", "status", "adopted_at", "adopting_agencies"]
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "protocol" in self.fields:
            # A new version only for a protocol the caller may change (others: "does not exist").
            self.fields["protocol"].queryset = Protocol.objects.restrict(request.user, "change")

    def get_body_html(self, obj: ProtocolVersion) -> str:
        """The body rendered from Markdown and sanitized (no scripts, handlers, javascript:)."""
        return str(render_markdown(obj.body))


class ProtocolVersionUpdateSerializer(serializers.Serializer):
    """Fields of a draft that may change."""

    body = serializers.CharField(required=False)
    change_summary = serializers.CharField(required=False, allow_blank=True, max_length=300)
    acknowledge_within_days = serializers.IntegerField(required=False, min_value=1)
    effective_from = serializers.DateField(required=False, allow_null=True)


class AdoptSerializer(serializers.Serializer):
    """Adopt a draft from a date."""

    effective_from = serializers.DateField()


class AcknowledgmentSerializer(serializers.Serializer):
    """An acknowledgment recorded for the caller."""

    id = serializers.IntegerField()
    version = serializers.IntegerField(source="version_id")
    staff = serializers.IntegerField(source="staff_id")
    acknowledged_at = serializers.DateTimeField()


class DiffRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["equal", "delete", "insert", "skip"])
    old = serializers.IntegerField(allow_null=True)
    new = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    """What changed between two versions."""

    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    unified = serializers.CharField()
    rows = DiffRowSerializer(many=True)


class PendingAcknowledgmentSerializer(serializers.Serializer):
    """A staff member who owes an acknowledgment of an adopted version."""

    staff_id = serializers.IntegerField()
    agency_id = serializers.IntegerField()
    protocol_id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    due_date = serializers.DateField()


class PreviewSerializer(serializers.Serializer):
    """The registered change preview (null when none is registered for the standard)."""

    preview = serializers.CharField(allow_null=True)


class EndSerializer(serializers.Serializer):
    """End a standard on a date (exclusive)."""

    effective_to = serializers.DateField()


def standard_serializers(kind: StandardKind) -> tuple[type, type]:
    """(row serializer, supersede-request serializer) for a kind of standard, with unique
    names for the OpenAPI schema."""
    model = kind.model
    fields = ["id", *kind.create_fields]
    if any(f.name == "version" for f in model._meta.fields):
        fields.append("version")
    row_meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": fields,
            "read_only_fields": ["version"] if "version" in fields else [],
            "validators": [],  # periods and uniqueness are checked by the service, per field
        },
    )
    row = type(
        f"{model.__name__}Serializer",
        (serializers.ModelSerializer,),
        {"Meta": row_meta},
    )

    change_meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": [*kind.editable_fields, "effective_from"],
            "extra_kwargs": {name: {"required": False} for name in kind.editable_fields},
            "validators": [],
        },
    )
    change = type(
        f"{model.__name__}SupersedeSerializer",
        (serializers.ModelSerializer,),
        {
            "Meta": change_meta,
            "effective_from": serializers.DateField(
                help_text="The new version is in force from this date; earlier dates keep "
                "the current one."
            ),
        },
    )
    return row, change
