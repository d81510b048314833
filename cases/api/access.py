"""API of the access topic: cases (status record type), offenders (identity), the case team,
the "why can I see this" explainer and the case audit trail.

Serializer field names are the vocabulary names (agencies/vocabulary.py), so the field
allow-lists of MOU terms apply to them directly.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case as DbCase
from django.db.models import F, OuterRef, Prefetch, Q, TextField, Value, When
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.choices import RecordType
from agencies.querysets import names, staff_name, staff_of
from cases.access import (
    ALL_FIELDS,
    AllFields,
    allowed_fields,
    may_see_field,
    prefetch_assignments,
)
from cases.api import examples
from cases.models import Case, CaseAssignment, CaseCondition, Conviction, Offender
from cases.services.access import can_read_case_audit, case_audit_trail, explain
from sartcm.api.fields import RestrictedPrimaryKeyRelatedField
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet
from sartcm.models import AuditEvent


def _in_force_today() -> Any:
    """Case conditions in force today (started, not ended): one definition for the column
    and the prefetch."""
    today = timezone.localdate()
    return CaseCondition.objects.unrestricted().filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today
    )


def _active_condition_texts() -> ArraySubquery:
    """The case's conditions in force today as the API shows them ("title: details"), one
    text[] column of the list's own query (design change 19); same rows as
    `_active_conditions()`."""
    rows = (
        _in_force_today()
        .filter(case_id=OuterRef("pk"))
        .order_by("pk")
        .annotate(
            text=DbCase(
                When(details="", then=F("condition__title")),
                default=Concat(
                    F("condition__title"), Value(": "), F("details"), output_field=TextField()
                ),
                output_field=TextField(),
            )
        )
        .values("text")
    )
    return ArraySubquery(rows)


def _active_conditions() -> Prefetch:
    return Prefetch(
        "conditions",
        queryset=_in_force_today().select_related("condition"),
        to_attr="active_condition_rows",
    )


class CaseSerializer(FieldLimitedSerializer):
    """A case's status and supervision (record type `status`); `offender` is shown only to
    callers who may see the offender's identity."""

    record_type = RecordType.STATUS
    always_fields = ("id", "case_number")

    offender = RestrictedPrimaryKeyRelatedField(
        queryset=Offender.objects.all(), action="view", required=True
    )
    case_manager_name = serializers.SerializerMethodField()
    officer_name = serializers.SerializerMethodField()
    officer_phone = serializers.SerializerMethodField()
    lead_agency_name = serializers.SerializerMethodField()
    active_conditions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "case_number",
            "offender",
            "jurisdiction",
            "status",
            "supervision_level",
            "supervision_start",
            "supervision_end",
            "expected_release_date",
            "release_date",
            "case_manager_name",
            "officer_name",
            "officer_phone",
            "lead_agency_name",
            "active_conditions",
        ]

    def case_for(self, instance: Any) -> Any:
        return instance

    # Reads annotate the names, phone and conditions as columns (CaseViewSet.row_columns);
    # a case saved by a write is read through its related objects.

    def get_case_manager_name(self, case: Case) -> str:
        return staff_name(case, "case_manager")

    def get_officer_name(self, case: Case) -> str:
        return staff_name(case, "officer")

    def get_officer_phone(self, case: Case) -> str:
        if case.officer_id is None:
            return ""
        phone = getattr(case, "_officer_phone", None)
        return case.officer.phone if phone is None else phone

    def get_lead_agency_name(self, case: Case) -> str:
        name = getattr(case, "_lead_agency_name", None)
        return case.lead_agency.name if name is None else name

    def get_active_conditions(self, case: Case) -> list[str]:
        texts = getattr(case, "_active_conditions", None)
        if texts is not None:
            return list(texts)
        rows = getattr(case, "active_condition_rows", None)
        if rows is None:
            rows = [c for c in case.conditions.all() if c.end_date is None]
        return [
            f"{row.condition.title}: {row.details}" if row.details else row.condition.title
            for row in rows
        ]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if "offender" not in data and allowed_fields(self._user(), instance, RecordType.IDENTITY):
            data["offender"] = instance.offender_id  # identity is visible: link the person
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            self.check_writable(self.instance, attrs)
            if "offender" in attrs or "case_number" in attrs:
                raise serializers.ValidationError(
                    {"offender": "The offender and case number of a case cannot be changed."}
                )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Case:
        staff = staff_of(self._user())
        if staff is None:
            raise serializers.ValidationError({"lead_agency": "Only agency staff open cases."})
        validated_data["lead_agency"] = staff.agency  # a case is opened by its lead agency
        return super().create(validated_data)

    def update(self, instance: Case, validated_data: dict[str, Any]) -> Case:
        validated_data["version"] = instance.version + 1
        return super().update(instance, validated_data)


class AliasSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class ConvictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conviction
        fields = [
            "statute",
            "description",
            "jurisdiction",
            "offense_date",
            "conviction_date",
            "sentencing_date",
            "victim_age_group",
            "victim_relationship",
            "victim_male",
            "sexual",
            "registrable",
            "is_index",
        ]
        read_only_fields = fields


class OffenderSerializer(FieldLimitedSerializer):
    """The person (record type `identity`). An offender may have cases with several lead
    agencies: the fields shown are the union over the cases through which the caller sees
    the person."""

    record_type = RecordType.IDENTITY

    aliases = AliasSerializer(many=True, read_only=True)
    convictions = ConvictionSerializer(many=True, read_only=True)

    class Meta:
        model = Offender
        fields = [
            "id",
            "first_name",
            "middle_name",
            "last_name",
            "aliases",
            "date_of_birth",
            "sex",
            "state_id",
            "doc_number",
            "fbi_number",
            "height_cm",
            "weight_kg",
            "eye_color",
            "hair_color",
            "scars_marks_tattoos",
            "photo_note",
            "convictions",
        ]

    def allowed(self, instance: Any) -> frozenset[str]:
        user = self._user()
        if self.context.get("case") is not None:  # shown on one case's page: that case only
            return allowed_fields(user, self.context["case"], self.record_type)
        result: set[str] = set()
        for case in instance.cases.all():  # prefetched by the viewset
            fields = allowed_fields(user, case, self.record_type)
            if isinstance(fields, AllFields):
                return ALL_FIELDS
            result |= fields
        return frozenset(result)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            self.check_writable(None, attrs, allowed=self.allowed(self.instance))
        return attrs


class AccessLineSerializer(serializers.Serializer):
    record_type = serializers.CharField()
    label = serializers.CharField()
    visible = serializers.BooleanField()
    all_fields = serializers.BooleanField()
    fields = serializers.ListField(child=serializers.CharField())
    actions = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.CharField())


class ExplanationSerializer(serializers.Serializer):
    """Why the caller can (or cannot) see each record type of the case."""

    case = serializers.IntegerField()
    case_number = serializers.CharField()
    lead_agency = serializers.CharField()
    summary = serializers.CharField()
    record_types = AccessLineSerializer(many=True)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "username",
            "agency_id",
            "action",
            "outcome",
            "channel",
            "object_type",
            "object_id",
            "object_repr",
            "case_id",
            "recipient_agency_id",
            "fields",
            "detail",
            "source_address",
            "request_id",
        ]
        read_only_fields = fields


@extend_schema_view(**examples.CASES)
class CaseViewSet(RestrictedViewSet):
    """Cases you have standing on: the lead agency's, or those an in-force MOU term shares."""

    queryset = Case.objects.select_related(
        "lead_agency", "case_manager__user", "officer__user"
    ).prefetch_related(_active_conditions())
    serializer_class = CaseSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["id", "case_number"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().prefetch_related(None)
        if self.request.method in SAFE_METHODS:
            if self.action in ("list", "retrieve", "export"):
                return queryset.select_related(None)  # what rows show: row_columns()
            return queryset  # the explainer and the audit trail
        # a fresh Prefetch each request: "active" depends on today's date
        return queryset.prefetch_related(_active_conditions())

    def row_columns(self) -> dict[str, Any]:
        """What a row shows of its lead agency, case manager and officer as columns, instead
        of five related model instances per row; the conditions in force too, unless the
        caller may see them on no case at all (a victim advocate: no query touches them)."""
        columns: dict[str, Any] = {
            "_lead_agency_name": F("lead_agency__name"),
            "_case_manager_names": names("case_manager"),
            "_officer_names": names("officer"),
            "_officer_phone": F("officer__phone"),
        }
        if may_see_field(self.request.user, RecordType.STATUS, "active_conditions"):
            columns["_active_conditions"] = _active_condition_texts()
        return columns

    @extend_schema(responses=ExplanationSerializer, summary="Why can I (not) see this case?")
    @action(detail=True, methods=["get"], url_path="access")
    def access(self, request: Request, pk: str | None = None) -> Response:
        """Per record type: visible or not, and why (lead agency, MOU term, or what is missing)."""
        case = self.get_object()
        return Response(explain(request.user, case).as_dict())

    @extend_schema(
        responses=AuditEventSerializer(many=True), summary="Who saw this case (audit trail)"
    )
    @action(detail=True, methods=["get"], url_path="audit")
    def audit_trail(self, request: Request, pk: str | None = None) -> Response:
        """Every audited event on the case; only for the lead agency's administrators and
        auditors (404 for anyone else). The read is itself audited."""
        case = self.get_object()
        if not can_read_case_audit(request.user, case):
            raise Http404
        events = case_audit_trail(request.user, case, action=request.query_params.get("action", ""))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)


@extend_schema_view(**examples.OFFENDERS)
class OffenderViewSet(RestrictedViewSet):
    """People on cases you may see the identity of (fields limited per the MOU terms)."""

    queryset = Offender.objects.prefetch_related(
        "aliases",
        "convictions",
        Prefetch(
            "cases",
            queryset=Case.objects.unrestricted().only("id", "lead_agency_id", "offender_id"),
        ),
    )
    serializer_class = OffenderSerializer
    # offenders are created with their case (intake); here they are read and corrected
    http_method_names = ["get", "patch", "head", "options"]
    ordering_fields = ["id"]

    def prepare_page(self, objects: list[Any]) -> None:
        # every case of every offender on the page, in one query (cases are prefetched)
        prefetch_assignments(
            self.request.user, sorted({case.pk for obj in objects for case in obj.cases.all()})
        )

    def audit_case_ids(self, obj: Any) -> list[int] | None:
        user = self.request.user
        return [c.pk for c in obj.cases.all() if allowed_fields(user, c, RecordType.IDENTITY)]


class CaseTeamSerializer(FieldLimitedSerializer):
    """A case-team assignment. Partners with standing see the team (who to call); only those
    who may change the case's status may change its team."""

    record_type = RecordType.STATUS
    always_fields = ("id", "case", "agency", "agency_name", "role", "start_date", "end_date")

    case = RestrictedPrimaryKeyRelatedField(
        queryset=Case.objects.all(), action="change", record_type=RecordType.STATUS
    )
    agency_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseAssignment
        fields = ["id", "case", "agency", "agency_name", "staff", "role", "start_date", "end_date"]

    def get_agency_name(self, assignment: CaseAssignment) -> str:
        return assignment.agency.name

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self._user()
        case = attrs.get("case") or getattr(self.instance, "case", None)
        member = staff_of(user)
        if case is not None and not user.is_superuser:
            if member is None or case.lead_agency_id != member.agency_id:
                raise serializers.ValidationError(
                    {"case": "Only the case's lead agency manages its case team."}
                )
        staff = attrs.get("staff")
        agency = attrs.get("agency") or getattr(self.instance, "agency", None)
        if staff is not None and agency is not None and staff.agency_id != agency.pk:
            raise serializers.ValidationError(
                {"staff": "The staff member must work for the assigned agency."}
            )
        if self.instance is not None and "case" in attrs and attrs["case"] != self.instance.case:
            raise serializers.ValidationError(
                {"case": "An assignment cannot move to another case."}
            )
        return attrs


@extend_schema_view(**examples.CASE_TEAM)
class CaseTeamViewSet(RestrictedViewSet):
    """The case team. Adding a partner agency brings its `assigned`-scope MOU terms into play
    at once (grants are re-derived in the same transaction); ending it takes them away."""

    queryset = CaseAssignment.objects.select_related("agency", "case").order_by("case_id", "id")
    serializer_class = CaseTeamSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["id", "start_date"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        case = self.request.query_params.get("case")
        return queryset.filter(case_id=case) if case and case.isdigit() else queryset
