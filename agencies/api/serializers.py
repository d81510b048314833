"""Serializers for agencies, staff and training (personnel data: no case, so no MOU field
allow-list applies; scope comes from each queryset's restrict())."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agencies.choices import Role
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord


class AgencySerializer(serializers.ModelSerializer):
    """An agency directory entry."""

    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "kind", "jurisdiction", "phone", "email", "active"]


class StaffSerializer(serializers.ModelSerializer):
    """A staff directory entry (the caller's own agency)."""

    full_name = serializers.CharField(read_only=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))

    class Meta:
        model = StaffMember
        fields = ["id", "full_name", "agency", "roles", "title", "phone", "supervisor", "active"]


class TrainingCourseSerializer(serializers.ModelSerializer):
    """A course in the statewide catalogue."""

    class Meta:
        model = TrainingCourse
        fields = ["id", "title", "description", "hours", "provider", "active"]


class TrainingRecordSerializer(serializers.ModelSerializer):
    """A completion record. `evidence` is uploaded (multipart) and read back through
    `evidence_url`, a restricted, audited download."""

    evidence = serializers.FileField(write_only=True, required=False)
    has_evidence = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "staff",
            "course",
            "completed_on",
            "expires_on",
            "evidence",
            "has_evidence",
            "evidence_url",
            "evidence_note",
            "recorded_by",
        ]
        read_only_fields = ["expires_on", "recorded_by"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "staff" in self.fields:
            from agencies.services import trainable_staff

            # Whose training the caller may record; anyone else reads as "does not exist".
            self.fields["staff"].queryset = trainable_staff(request.user)

    def get_has_evidence(self, obj: TrainingRecord) -> bool:
        return bool(obj.evidence)

    def get_evidence_url(self, obj: TrainingRecord) -> str | None:
        """Where to download the evidence (restricted), if any."""
        if not obj.evidence:
            return None
        from django.urls import reverse

        return reverse("agencies:training-evidence", args=[obj.pk])
