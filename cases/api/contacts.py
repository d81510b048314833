"""REST API for supervision contacts, compliance, treatment and polygraph.

Every viewset restricts through `Model.objects.restrict(user, action)` (RestrictedViewSet);
serializers render only the allow-listed fields (FieldLimitedSerializer, names from
agencies.vocabulary) and refuse, with an audited 400 naming the field, writes to others.
Creating a record on a case (or enrollment) outside the caller's `add` scope answers 404, like
any other object the caller may not see. Writes go through the services (validation, one
transaction, scope re-check, case version bump, audit).
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from typing import Any

import django_filters
from django.db.models import Prefetch
from django.http import Http404
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.choices import RecordType
from agencies.models import Agency
from agencies.querysets import names, staff_name, staff_of
from cases.access import ALL_FIELDS, AllFields, allowed_fields
from cases.api import examples
from cases.choices import Rating
from cases.compliance import (
    ComplianceStatus,
    RequirementStatus,
    case_compliance,
    caseload_compliance,
    today,
)
from cases.models import (
    Case,
    PolygraphExam,
    SupervisionContact,
    TreatmentEnrollment,
    TreatmentReport,
)
from cases.services.contacts import delete_contact, log_contact, update_contact
from cases.services.treatment import (
    add_treatment_report,
    discharge_from_treatment,
    enroll_in_treatment,
    first_of_month,
    record_polygraph,
)
from protocols.choices import ContactRequirement
from sartcm import audit
from sartcm.api.viewsets import FieldLimitedSerializer, IsActiveStaff, RestrictedViewSet
from sartcm.models import AuditAction, AuditOutcome

R = RecordType


# --- serializers ---------------------------------------------------------------------------


class CaseRecordSerializer(FieldLimitedSerializer):
    """Field-limited serializer of a record on a case.

    `expand(allowed)` maps the vocabulary's allow-list onto this serializer's field names
    (e.g. a treatment report's fields all follow `reports`); reads and writes use the same map.
    The writable `case` choices are the cases the caller may add this record type to.
    """

    always_fields: tuple[str, ...] = ("id", "case")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case_field = self.fields.get("case")
        if isinstance(case_field, serializers.PrimaryKeyRelatedField):
            user = self._user()
            if self.instance is not None:
                # an update keeps its case; a read (one record or a page) writes none, so
                # it needs no restricted queryset of the cases it could add to
                case_field.read_only = True
            elif user is not None:
                case_field.queryset = Case.objects.restrict_record(user, "add", self.record_type)

    def expand(self, allowed: frozenset[str]) -> Container[str]:
        return allowed

    def allowed(self, instance: Any) -> Any:
        return self.expand(super().allowed(instance))

    def check_writable(self, case: Any, attrs: dict[str, Any]) -> None:
        """As FieldLimitedSerializer.check_writable, through `expand`."""
        allowed = self.expand(allowed_fields(self._user(), case, self.record_type))
        forbidden = sorted(
            name
            for name in self.initial_data
            if name not in allowed and name not in self.always_fields
        )
        if forbidden:
            audit.record(
                self._user(),
                AuditAction.DENIED,
                outcome=AuditOutcome.DENIED,
                case_id=case.pk,
                object_type=self.Meta.model._meta.label_lower,
                fields=forbidden,
                detail="write to fields not permitted by the caller's MOU terms",
            )
            raise ValidationError(
                {
                    name: ["You may not write this field (not shared with your agency)."]
                    for name in forbidden
                }
            )

    def case_of(self, attrs: dict[str, Any]) -> Any:
        return attrs.get("case") or self.instance.case  # type: ignore[union-attr]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        moved = self.initial_data.get("case") if self.instance is not None else None
        if moved not in (None, "") and str(moved) != str(self.instance.case_id):  # type: ignore[union-attr]
            raise ValidationError({"case": ["A record cannot be moved to another case."]})
        self.check_writable(self.case_of(attrs), attrs)
        return attrs


class SupervisionContactSerializer(CaseRecordSerializer):
    """A supervision contact. contact_at defaults to now; future contacts are refused."""

    record_type = R.CONTACTS
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())
    contact_at = serializers.DateTimeField(required=False)
    officer_name = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionContact
        fields = [
            "id",
            "case",
            "contact_at",
            "contact_type",
            "face_to_face",
            "location",
            "outcome",
            "notes",
            "officer_name",
        ]

    def get_officer_name(self, obj: SupervisionContact) -> str:
        return staff_name(obj, "officer")  # reads: the `_officer_names` column

    def create(self, validated_data: dict[str, Any]) -> SupervisionContact:
        case = validated_data.pop("case")
        user = self._user()
        return log_contact(case, staff_of(user), validated_data, user)

    def update(self, instance: SupervisionContact, validated_data: dict[str, Any]) -> Any:
        validated_data.pop("case", None)
        return update_contact(instance, validated_data, self._user())


class MonthField(serializers.DateField):
    """A month: 'YYYY-MM' or any date in it; stored and shown as its first day."""

    def to_internal_value(self, value: Any) -> date:
        month = first_of_month(value)
        if month is None:
            raise ValidationError("Enter a month as YYYY-MM (or a date in it).")
        return month


class RatingField(serializers.ChoiceField):
    """good / fair / poor."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Rating.choices, **kwargs)


def rating_field(name: str) -> RatingField:
    # Two fields share the Rating choice set; a per-field enum id gives each its own schema
    # component (ParticipationEnum, ProgressEnum) instead of an ambiguous-name warning.
    schema = {"type": "string", "enum": Rating.values, "x-spec-enum-id": f"rating-{name}"}
    field_class = type(f"{name.title()}RatingField", (RatingField,), {})
    return extend_schema_field(schema)(field_class)()


class TreatmentReportSerializer(CaseRecordSerializer):
    """A monthly progress report. Its fields are shared as the enrollment's `reports`."""

    record_type = R.TREATMENT
    always_fields = ("id", "enrollment", "case")
    enrollment = serializers.PrimaryKeyRelatedField(queryset=TreatmentEnrollment.objects.none())
    case = serializers.PrimaryKeyRelatedField(read_only=True)
    month = MonthField()
    participation = rating_field("participation")
    progress = rating_field("progress")
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = TreatmentReport
        fields = [
            "id",
            "enrollment",
            "case",
            "month",
            "sessions_scheduled",
            "sessions_attended",
            "participation",
            "progress",
            "concerns",
            "author_name",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list[Any] = []  # one report per month: the service turns it into a message

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self._user()
        enrollment_field = self.fields["enrollment"]
        if user is not None and isinstance(enrollment_field, serializers.PrimaryKeyRelatedField):
            enrollment_field.queryset = TreatmentEnrollment.objects.restrict(
                user, "add"
            ).select_related("case", "provider")

    def expand(self, allowed: frozenset[str]) -> Container[str]:
        if isinstance(allowed, AllFields) or "reports" in allowed:
            return ALL_FIELDS
        return frozenset()

    def case_for(self, instance: Any) -> Any:
        return instance.enrollment.case

    def case_of(self, attrs: dict[str, Any]) -> Any:
        return attrs["enrollment"].case

    def get_author_name(self, obj: TreatmentReport) -> str:
        return obj.author.full_name if obj.author else ""

    def create(self, validated_data: dict[str, Any]) -> TreatmentReport:
        enrollment = validated_data.pop("enrollment")
        return add_treatment_report(enrollment, validated_data, self._user())


class TreatmentEnrollmentSerializer(CaseRecordSerializer):
    """An enrollment with its monthly reports. PATCH records the discharge only."""

    record_type = R.TREATMENT
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())
    provider = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(active=True))
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    reports = TreatmentReportSerializer(many=True, read_only=True)

    class Meta:
        model = TreatmentEnrollment
        fields = [
            "id",
            "case",
            "provider",
            "provider_name",
            "program",
            "intake_date",
            "expected_completion",
            "discharge_status",
            "discharged_on",
            "reports",
        ]
        read_only_fields: list[str] = []

    DISCHARGE_FIELDS = ("discharge_status", "discharged_on")

    def expand(self, allowed: frozenset[str]) -> Container[str]:
        # The provider's id travels with its name.
        if isinstance(allowed, AllFields) or "provider_name" not in allowed:
            return allowed
        return allowed | {"provider"}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        named = set(self.initial_data) - set(self.always_fields)
        if self.instance is None:
            bad = named & set(self.DISCHARGE_FIELDS)
            message = "Set on discharge (PATCH the enrollment), not on enrollment."
        else:
            bad = named - set(self.DISCHARGE_FIELDS)
            message = "Only discharge_status and discharged_on can be changed."
        if bad:
            raise ValidationError({name: [message] for name in sorted(bad)})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> TreatmentEnrollment:
        case = validated_data.pop("case")
        return enroll_in_treatment(case, validated_data, self._user())

    def update(self, instance: TreatmentEnrollment, validated_data: dict[str, Any]) -> Any:
        return discharge_from_treatment(instance, validated_data, self._user())


class PolygraphExamSerializer(CaseRecordSerializer):
    """A polygraph exam. `flagged` is shown with `disclosures`, never without."""

    record_type = R.POLYGRAPH
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())

    class Meta:
        model = PolygraphExam
        fields = [
            "id",
            "case",
            "exam_type",
            "exam_date",
            "examiner",
            "result",
            "disclosures",
            "flagged",
            "notes",
        ]

    def expand(self, allowed: frozenset[str]) -> Container[str]:
        if isinstance(allowed, AllFields) or "disclosures" not in allowed:
            return allowed
        return allowed | {"flagged"}

    def create(self, validated_data: dict[str, Any]) -> PolygraphExam:
        case = validated_data.pop("case")
        return record_polygraph(case, validated_data, self._user())


# --- viewsets ------------------------------------------------------------------------------


class CaseIdFilterSet(django_filters.FilterSet):
    """`?case=<id>` as a plain number: an invisible case filters to nothing, like a missing one
    (a model-choice filter would answer 400 for missing but not for invisible ids)."""

    case = django_filters.NumberFilter(field_name="case_id")


def filterset_for(model: type) -> type[django_filters.FilterSet]:
    meta = type("Meta", (), {"model": model, "fields": ["case"]})
    return type(f"{model.__name__}FilterSet", (CaseIdFilterSet,), {"Meta": meta})


class CaseRecordViewSet(RestrictedViewSet):
    """RestrictedViewSet for records on a case, whose writes go through a service (which
    re-checks scope and audits), and whose POST to an out-of-scope case answers 404."""

    scope_field = "case"
    select: tuple[str, ...] = ("case",)

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(*self.select)

    def scope_queryset(self) -> Any:
        record_type = self.queryset.model.RECORD_TYPE
        return Case.objects.restrict_record(self.request.user, "add", record_type)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A non-object body is left to the serializer's "expected a dictionary" 400.
        value = request.data.get(self.scope_field) if isinstance(request.data, dict) else None
        if value not in (None, ""):
            try:
                pk = int(value)
            except (TypeError, ValueError):
                pk = None
            if pk is None or not self.scope_queryset().filter(pk=pk).exists():
                raise Http404
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        serializer.save()  # the service writes, re-checks scope and audits in one transaction

    def perform_update(self, serializer: Any) -> None:
        serializer.save()


@extend_schema_view(**examples.CONTACTS)
class SupervisionContactViewSet(CaseRecordViewSet):
    """Supervision contacts (filter `?case=`). POST logs a contact; PATCH corrects one; DELETE
    (lead agency only) removes one logged in error."""

    queryset = SupervisionContact.objects.all()
    serializer_class = SupervisionContactSerializer
    filterset_class = filterset_for(SupervisionContact)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    select = ("case", "officer__user")

    def get_queryset(self) -> Any:
        if self.request.method in SAFE_METHODS:  # the officer's name: row_columns()
            return super().get_queryset().select_related(None).select_related("case")
        return super().get_queryset()

    def row_columns(self) -> dict[str, Any]:
        """The officer's name as a column, not a staff member and its user per row."""
        return {"_officer_names": names("officer")}

    def perform_destroy(self, instance: SupervisionContact) -> None:
        """DELETE: lead agency only (403 for a partner who can see it), audited."""
        delete_contact(instance, self.request.user)


@extend_schema_view(**examples.TREATMENT_ENROLLMENTS)
class TreatmentEnrollmentViewSet(CaseRecordViewSet):
    """Treatment enrollments with their monthly reports. PATCH records the discharge."""

    queryset = TreatmentEnrollment.objects.all()
    serializer_class = TreatmentEnrollmentSerializer
    filterset_class = filterset_for(TreatmentEnrollment)
    http_method_names = ["get", "post", "patch", "head", "options"]
    select = ("case", "provider")

    def get_queryset(self) -> Any:
        reports = TreatmentReport.objects.select_related("author__user")
        return super().get_queryset().prefetch_related(Prefetch("reports", queryset=reports))


@extend_schema_view(**examples.TREATMENT_REPORTS)
class TreatmentReportViewSet(CaseRecordViewSet):
    """Monthly progress reports. A treatment provider POSTs under its MOU term (`add`)."""

    queryset = TreatmentReport.objects.all()
    serializer_class = TreatmentReportSerializer
    filterset_class = filterset_for(TreatmentReport)
    http_method_names = ["get", "post", "head", "options"]
    scope_field = "enrollment"
    select = ("case", "enrollment__case", "enrollment__provider", "author__user")

    def scope_queryset(self) -> Any:
        return TreatmentEnrollment.objects.restrict(self.request.user, "add")


@extend_schema_view(**examples.POLYGRAPH_EXAMS)
class PolygraphExamViewSet(CaseRecordViewSet):
    """Polygraph exams, visible only where terms share record type polygraph."""

    queryset = PolygraphExam.objects.all()
    serializer_class = PolygraphExamSerializer
    filterset_class = filterset_for(PolygraphExam)
    http_method_names = ["get", "post", "head", "options"]


class RequirementStatusSerializer(serializers.Serializer):
    """One requirement's compliance: status, contacts in the window, last contact, next due."""

    requirement = serializers.ChoiceField(choices=ContactRequirement.choices)
    standard = serializers.CharField(source="standard_label")
    count = serializers.IntegerField()
    period_days = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ComplianceStatus.choices)
    counted = serializers.IntegerField(help_text="Qualifying contacts in [on - period_days, on].")
    last_contact = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(help_text="Last day another contact keeps the case compliant.")
    days_until_due = serializers.IntegerField(help_text="Negative when overdue.")


class CaseComplianceSerializer(serializers.Serializer):
    """A case's contact-standard compliance on a date."""

    case = serializers.IntegerField()
    case_number = serializers.CharField()
    on = serializers.DateField()
    requirements = RequirementStatusSerializer(many=True)


ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="Evaluate on this date (default: today)."
)


@extend_schema_view(**examples.CASE_COMPLIANCE)
class CaseComplianceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Read-only contact-standard compliance of supervised cases whose contacts the caller may
    see (`/case-compliance/` a page of cases, set-based; `/case-compliance/{case id}/` one)."""

    permission_classes = [IsActiveStaff]
    serializer_class = CaseComplianceSerializer
    queryset = Case.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return (
            Case.objects.restrict_record(self.request.user, "view", R.CONTACTS)
            .supervised()
            .select_related("offender")  # the audit trail names each case read
            .order_by("case_number")
        )

    def on(self) -> date:
        raw = self.request.query_params.get("on")
        if not raw:
            return today()
        parsed = parse_date(raw)
        if parsed is None:
            raise ValidationError({"on": ["Enter a date as YYYY-MM-DD."]})
        return parsed

    @staticmethod
    def row(case: Case, on: date, requirements: list[RequirementStatus]) -> dict[str, Any]:
        return {
            "case": case.pk,
            "case_number": case.case_number,
            "on": on,
            "requirements": requirements,
        }

    @extend_schema(parameters=[ON_PARAMETER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        on = self.on()
        page = self.paginate_queryset(self.get_queryset())
        cases = list(page if page is not None else self.get_queryset())
        compliance = caseload_compliance(Case.objects.filter(pk__in=[c.pk for c in cases]), on)
        data = self.get_serializer(
            [self.row(c, on, compliance.get(c.pk, [])) for c in cases], many=True
        ).data
        audit.record_reads(request.user, AuditAction.LIST, cases, fields=["contact_compliance"])
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(parameters=[ON_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        on = self.on()
        case = self.get_object()  # outside restrict_record(user, 'view', contacts): 404
        data = self.get_serializer(self.row(case, on, case_compliance(case, on))).data
        audit.record(request.user, AuditAction.VIEW, case, fields=["contact_compliance"])
        return Response(data)
