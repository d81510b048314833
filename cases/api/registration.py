"""REST API for registration records, reported events and address verifications.

Serializer field names are the REGISTRATION names of agencies.vocabulary (tier, jurisdiction,
start_date, period, status, next_verification_due, events, verifications): a partner sees
exactly the fields its MOU terms list. Reports and checks are shown, and may be written, only
when `events` / `verifications` is on the caller's allow-list. Writes go through
cases.services.registration.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.choices import RecordType
from agencies.models import Agency
from cases.access import allowed_fields, prefetch_assignments
from cases.api import examples
from cases.models import AddressVerification, Case, RegistrationEvent, RegistrationRecord
from cases.services import registration as svc
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet

REG = RecordType.REGISTRATION


class GatedSerializer(FieldLimitedSerializer):
    """A child list of a registration (reports, checks): every field, or only the id, depending
    on whether the gate field (`events` / `verifications`) is on the caller's allow-list."""

    record_type = REG
    gate = ""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = serializers.ModelSerializer.to_representation(self, instance)
        if self.gate in self.allowed(instance):
            return data
        return {k: v for k, v in data.items() if k in self.always_fields}

    def check_writable(self, case: Any, attrs: dict[str, Any]) -> None:
        if self.gate in allowed_fields(self._user(), case, self.record_type):
            return
        super().check_writable(case, attrs)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Before the write transaction, so the audited refusal is kept.
        self.check_writable(attrs["registration"].case, attrs)
        return attrs


class RegistrationEventSerializer(GatedSerializer):
    gate = "events"
    registration = serializers.PrimaryKeyRelatedField(queryset=RegistrationRecord.objects.none())
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = RegistrationEvent
        fields = [
            "id",
            "registration",
            "case",
            "kind",
            "changed_on",
            "reported_on",
            "due_by",
            "late",
            "details",
            "recorded_by_name",
        ]
        read_only_fields = ["case", "due_by", "late", "recorded_by_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("registration")
        if isinstance(field, serializers.PrimaryKeyRelatedField):
            # related-field choices are restricted: another agency's registration "does not exist"
            field.queryset = RegistrationRecord.objects.restrict(self._user(), "add")

    def get_recorded_by_name(self, obj: RegistrationEvent) -> str:
        return obj.recorded_by.full_name if obj.recorded_by else ""

    def create(self, validated_data: dict[str, Any]) -> RegistrationEvent:
        record = validated_data.pop("registration")
        return svc.record_event(self._user(), record, **validated_data)


class AddressVerificationSerializer(GatedSerializer):
    gate = "verifications"
    registration = serializers.PrimaryKeyRelatedField(queryset=RegistrationRecord.objects.none())
    officer_name = serializers.SerializerMethodField()

    class Meta:
        model = AddressVerification
        fields = [
            "id",
            "registration",
            "case",
            "verified_on",
            "address",
            "result",
            "notes",
            "officer_name",
        ]
        read_only_fields = ["case", "officer_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("registration")
        if isinstance(field, serializers.PrimaryKeyRelatedField):
            field.queryset = RegistrationRecord.objects.restrict(self._user(), "add")

    def get_officer_name(self, obj: AddressVerification) -> str:
        return obj.officer.full_name if obj.officer else ""

    def create(self, validated_data: dict[str, Any]) -> AddressVerification:
        record = validated_data.pop("registration")
        return svc.record_verification(self._user(), record, **validated_data)


class NestedEventSerializer(RegistrationEventSerializer):
    class Meta(RegistrationEventSerializer.Meta):
        fields = [f for f in RegistrationEventSerializer.Meta.fields if f != "registration"]


class NestedVerificationSerializer(AddressVerificationSerializer):
    class Meta(AddressVerificationSerializer.Meta):
        fields = [f for f in AddressVerificationSerializer.Meta.fields if f != "registration"]


class PeriodSerializer(serializers.Serializer):
    """The registration period: years (empty = life), custody days excluded, the computed end
    date, and whether a juvenile tier III registration may be reduced (to 25 years)."""

    years = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    custody_days_excluded = serializers.IntegerField(min_value=0, required=False)
    juvenile = serializers.BooleanField(required=False)
    end_date = serializers.DateField(read_only=True, allow_null=True)  # null: registered for life
    reducible_to_years = serializers.IntegerField(read_only=True, allow_null=True)


@extend_schema_field(PeriodSerializer)
class PeriodField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, record: RegistrationRecord) -> dict[str, Any]:
        return {
            "years": record.period_years,
            "custody_days_excluded": record.custody_days_excluded,
            "juvenile": record.juvenile,
            "end_date": record.end_date.isoformat() if record.end_date else None,
            "reducible_to_years": svc.juvenile_reducible_to(record),
        }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        serializer = PeriodSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        mapped: dict[str, Any] = {}
        if "years" in values:
            mapped["period_years"] = values["years"]
        if "custody_days_excluded" in values:
            mapped["custody_days_excluded"] = values["custody_days_excluded"]
        if "juvenile" in values:
            mapped["juvenile"] = values["juvenile"]
        return mapped


class RegistrationRecordSerializer(FieldLimitedSerializer):
    record_type = REG
    always_fields = ("id", "case", "registering_agency")
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())
    registering_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none())
    period = PeriodField()
    events = NestedEventSerializer(many=True, read_only=True)
    verifications = NestedVerificationSerializer(many=True, read_only=True)

    class Meta:
        model = RegistrationRecord
        fields = [
            "id",
            "case",
            "registering_agency",
            "tier",
            "jurisdiction",
            "start_date",
            "period",
            "status",
            "next_verification_due",
            "events",
            "verifications",
            "transient",
            "last_verified_on",
        ]
        read_only_fields = ["status", "next_verification_due", "last_verified_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self._user()
        if user is not None and user.is_authenticated:
            self.fields["case"].queryset = Case.objects.restrict_record(user, "add", REG)
            self.fields["registering_agency"].queryset = Agency.objects.restrict(
                user, "view"
            ).active()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Before the write transaction, so the audited refusal is kept.
        case = self.instance.case if self.instance is not None else attrs["case"]
        self.check_writable(case, attrs)
        if self.instance is not None:
            for name in ("case", "registering_agency", "jurisdiction", "start_date"):
                if name in self.initial_data:
                    raise serializers.ValidationError(
                        {name: "Cannot be changed; end this registration and open a new one."}
                    )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> RegistrationRecord:
        case = validated_data.pop("case")
        return svc.register(self._user(), case=case, **validated_data)

    def update(
        self, instance: RegistrationRecord, validated_data: dict[str, Any]
    ) -> RegistrationRecord:
        return svc.update_registration(self._user(), instance, **validated_data)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in svc.PERSON_SET_STATUSES])
    reason = serializers.CharField(max_length=300)


class RegistrationViewSetBase(RestrictedViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        # The service validates, writes, audits and re-checks scope in one transaction.
        with transaction.atomic():
            instance = serializer.save()
            self.recheck_scope(instance, "add")

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()
            self.recheck_scope(instance, "change")

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else []
        prefetch_assignments(self.request.user, [row.case_id for row in rows])
        return page


@extend_schema_view(**examples.REGISTRATIONS)
class RegistrationRecordViewSet(RegistrationViewSetBase):
    """Registration records (?case=<id> to filter); POST registers, PATCH changes tier,
    period or transient status, POST …/status/ records a status decision."""

    queryset = RegistrationRecord.objects.all()
    serializer_class = RegistrationRecordSerializer

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related("case", "registering_agency")
        # children carry their case so their allow-list needs no query per row
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=RegistrationEvent.objects.select_related("case", "recorded_by__user"),
            ),
            Prefetch(
                "verifications",
                queryset=AddressVerification.objects.select_related("case", "officer__user"),
            ),
        )
        case = self.request.query_params.get("case")
        if case and case.isdigit():
            queryset = queryset.filter(case_id=int(case))
        return queryset

    @extend_schema(request=StatusChangeSerializer, responses=RegistrationRecordSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: Any = None) -> Response:
        record = svc.access_registration(request.user, pk, "change")
        payload = StatusChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = svc.set_status(request.user, record, **payload.validated_data)
        return Response(self.get_serializer(record).data)


@extend_schema_view(**examples.REGISTRATION_EVENTS)
class RegistrationEventViewSet(RegistrationViewSetBase):
    """Reports by registrants (?registration=<id>); POST records one (late is computed)."""

    queryset = RegistrationEvent.objects.all()
    serializer_class = RegistrationEventSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related("case", "recorded_by__user")
        registration = self.request.query_params.get("registration")
        if registration and registration.isdigit():
            queryset = queryset.filter(registration_id=int(registration))
        return queryset


@extend_schema_view(**examples.ADDRESS_VERIFICATIONS)
class AddressVerificationViewSet(RegistrationViewSetBase):
    """Address verification checks (?registration=<id>); POST records one (a failure starts
    absconder review and alerts the registry officer)."""

    queryset = AddressVerification.objects.all()
    serializer_class = AddressVerificationSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related("case", "officer__user")
        registration = self.request.query_params.get("registration")
        if registration and registration.isdigit():
            queryset = queryset.filter(registration_id=int(registration))
        return queryset
