"""REST API for risk assessments, instruments and the case plan.

Field names are the shared vocabulary (agencies.vocabulary ASSESSMENTS / CASE_PLAN), so MOU
field allow-lists apply as they are. Scores are computed by the server: a payload naming a
computed or unknown field is refused with a 400 naming it, never silently ignored.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.access import AllFields
from cases.models import Case, CasePlanGoal, ProgressNote, RiskAssessment
from cases.scoring import flat_messages
from cases.services import assessments as services
from protocols.models import Instrument
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet

# --- shared pieces ----------------------------------------------------------------------------


class RestrictedCaseField(serializers.PrimaryKeyRelatedField):
    """A case the caller may add this record type to; any other id reads as "does not exist"
    (the same answer for a missing and an invisible case)."""

    def __init__(self, record_type: str, **kwargs: Any) -> None:
        self.record_type = record_type
        kwargs.setdefault("queryset", Case.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return Case.objects.restrict_record(getattr(request, "user", None), "add", self.record_type)


def refusal(name: str, computed: tuple[str, ...]) -> str:
    if name in computed:
        return "Computed by the server; do not send it."
    return "Not a field you can write here."


class StrictWriteMixin:
    """Refuse (400, naming each) payload keys that are read-only, computed or unknown, and keys
    the caller's MOU terms do not let it write (FieldLimitedSerializer.check_writable)."""

    computed_fields: tuple[str, ...] = ()
    derived: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        fields = self.fields  # type: ignore[attr-defined]
        writable = {name for name, field in fields.items() if not field.read_only}
        refused = sorted(str(k) for k in data if k not in writable)
        if refused:
            raise ValidationError({k: [refusal(k, self.computed_fields)] for k in refused})
        return super().to_internal_value(data)  # type: ignore[misc]

    def allowed(self, instance: Any) -> frozenset[str]:
        base = super().allowed(instance)  # type: ignore[misc]
        if isinstance(base, AllFields):
            return base
        # Display fields derived from a shared field are shown with it (e.g. item scores
        # with the answers they come from).
        return base | {name for name, source in self.derived.items() if source in base}


def service_error(exc: DjangoValidationError, fields: set[str], bucket: str) -> ValidationError:
    """A service ValidationError as a DRF one: known field names stay, the rest (item codes)
    are gathered under `bucket` — each message already names its item."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({bucket: flat_messages(exc)})
    out: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        out.setdefault(key if key in fields else bucket, []).extend(messages)
    return ValidationError(out)


class CaseFilter(django_filters.FilterSet):
    """`?case=<id>`: a plain number, so an invisible case looks like an empty one."""

    case = django_filters.NumberFilter(field_name="case_id")


# --- instruments ------------------------------------------------------------------------------


class InstrumentSerializer(serializers.ModelSerializer):
    owner_agency_name = serializers.CharField(
        source="owner_agency.name", read_only=True, default=""
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "version",
            "definition",
            "builtin",
            "owner_agency_name",
            "active",
        ]
        read_only_fields = ["id", "version", "builtin", "owner_agency_name", "active"]
        extra_kwargs = {"code": {"validators": []}}


class InstrumentViewSet(RestrictedViewSet):
    """Instruments as data. Everyone on staff reads them; a supervisor or agency administrator
    defines their agency's own (the definition is validated; a code's next version)."""

    queryset = Instrument.objects.order_by("code", "-version")
    serializer_class = InstrumentSerializer
    http_method_names = ["get", "post", "head", "options"]
    audit_reads = False  # reference data, not case data

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("owner_agency")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.define_instrument(
                self.request.user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                definition=data["definition"],
            )
        except DjangoValidationError as exc:
            raise service_error(exc, {"code", "name", "kind", "definition"}, "definition")


# --- assessments ------------------------------------------------------------------------------

ASSESSMENT_COMPUTED = (
    "total_score",
    "computed_level",
    "final_level",
    "override_reason",
    "next_due",
    "item_scores",
    "subscores",
    "assessor_name",
    "status",
    "instrument_name",
    "instrument_code",
    "level_label",
)


class RiskAssessmentSerializer(StrictWriteMixin, FieldLimitedSerializer):
    """An assessment. POST sends case, instrument, assessed_on and answers (optionally the
    assessor and a release date for the computed age); everything else is computed."""

    record_type = RecordType.ASSESSMENTS
    always_fields = ("id", "case", "status")
    computed_fields = ASSESSMENT_COMPUTED
    derived = {
        "instrument_name": "instrument",
        "instrument_code": "instrument",
        "item_scores": "answers",
        "subscores": "answers",
    }

    case = RestrictedCaseField(RecordType.ASSESSMENTS)
    instrument = serializers.PrimaryKeyRelatedField(queryset=Instrument.objects.filter(active=True))
    instrument_name = serializers.CharField(source="instrument.name", read_only=True)
    instrument_code = serializers.CharField(source="instrument.code", read_only=True)
    answers = serializers.JSONField(help_text="Item code → answer value.")
    assessor_name = serializers.SerializerMethodField()
    assessor = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.filter(active=True),
        write_only=True,
        required=False,
        help_text="Defaults to you.",
    )
    release_date = serializers.DateField(
        write_only=True,
        required=False,
        help_text="Release date for the computed age (defaults to the case's).",
    )

    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "case",
            "status",
            "instrument",
            "instrument_name",
            "instrument_code",
            "assessed_on",
            "answers",
            "item_scores",
            "subscores",
            "total_score",
            "computed_level",
            "final_level",
            "override_reason",
            "assessor_name",
            "next_due",
            "assessor",
            "release_date",
        ]
        read_only_fields = [
            "status",
            "item_scores",
            "subscores",
            "total_score",
            "computed_level",
            "final_level",
            "override_reason",
            "next_due",
        ]

    def get_assessor_name(self, obj: RiskAssessment) -> str:
        return obj.assessor.full_name if obj.assessor_id else ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self.check_writable(attrs["case"], attrs)
        if not isinstance(attrs.get("answers"), dict):
            raise ValidationError({"answers": ["Send an object of item code → answer value."]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> RiskAssessment:
        from agencies.querysets import staff_of

        user = self._user()
        try:
            return services.record_assessment(
                validated_data["case"],
                validated_data["instrument"],
                validated_data["answers"],
                validated_data["assessed_on"],
                validated_data.get("assessor") or staff_of(user),
                user,
                release_date=validated_data.get("release_date"),
            )
        except DjangoValidationError as exc:
            raise service_error(exc, set(self.fields), "answers")


class OverrideSerializer(serializers.Serializer):
    final_level = serializers.CharField()
    override_reason = serializers.CharField(allow_blank=True)


class VoidSerializer(serializers.Serializer):
    void_reason = serializers.CharField(allow_blank=True)


class PreviewRequestSerializer(StrictWriteMixin, serializers.Serializer):
    case = RestrictedCaseField(RecordType.ASSESSMENTS)
    instrument = serializers.PrimaryKeyRelatedField(queryset=Instrument.objects.filter(active=True))
    answers = serializers.JSONField()
    release_date = serializers.DateField(required=False)


class NeedSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()
    goal = serializers.CharField()


class PreviewResultSerializer(serializers.Serializer):
    total_score = serializers.IntegerField()
    computed_level = serializers.CharField(allow_null=True)
    level_label = serializers.CharField()
    complete = serializers.BooleanField()
    item_scores = serializers.DictField(child=serializers.IntegerField())
    subscores = serializers.DictField(child=serializers.DictField())
    needs = NeedSerializer(many=True)
    messages = serializers.ListField(child=serializers.CharField())
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


# --- the case plan ----------------------------------------------------------------------------


class ProgressNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ProgressNote
        fields = ["id", "written_on", "author_name", "note"]
        extra_kwargs = {"written_on": {"required": False}}

    def get_author_name(self, obj: ProgressNote) -> str:
        return obj.author.full_name if obj.author_id else ""


GOAL_COMPUTED = ("responsible_agency_name", "progress_notes", "need", "source_assessment")


class CasePlanGoalSerializer(StrictWriteMixin, FieldLimitedSerializer):
    """A case-plan goal. Responsible agency/staff are written by id and shown by name."""

    record_type = RecordType.CASE_PLAN
    always_fields = ("id", "case")
    computed_fields = GOAL_COMPUTED

    case = RestrictedCaseField(RecordType.CASE_PLAN)
    responsible_agency_name = serializers.CharField(
        source="responsible_agency.name", read_only=True
    )
    responsible_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.filter(active=True), write_only=True, required=False
    )
    responsible_staff = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.filter(active=True),
        write_only=True,
        required=False,
        allow_null=True,
    )
    progress_notes = ProgressNoteSerializer(many=True, read_only=True)

    class Meta:
        model = CasePlanGoal
        fields = [
            "id",
            "case",
            "need",
            "goal",
            "interventions",
            "responsible_agency_name",
            "target_date",
            "status",
            "progress_notes",
            "responsible_agency",
            "responsible_staff",
            "source_assessment",
        ]
        read_only_fields = ["need", "source_assessment"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["case"].read_only = True  # a goal stays on its case
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        case = self.instance.case if self.instance is not None else attrs["case"]
        self.check_writable(case, attrs)
        return attrs

    def create(self, validated_data: dict[str, Any]) -> CasePlanGoal:
        data = dict(validated_data)
        case = data.pop("case")
        try:
            return services.create_goal(case, self._user(), **data)
        except DjangoValidationError as exc:
            raise service_error(exc, set(self.fields), "goal")

    def update(self, instance: CasePlanGoal, validated_data: dict[str, Any]) -> CasePlanGoal:
        try:
            return services.update_goal(instance, self._user(), **validated_data)
        except DjangoValidationError as exc:
            raise service_error(exc, set(self.fields), "goal")


class RiskAssessmentViewSet(RestrictedViewSet):
    """Risk assessments on cases: list, read, record (scored server-side), preview a score,
    supervisor override, void, and turn needs into case-plan goals."""

    queryset = RiskAssessment.objects.order_by("-assessed_on", "-pk")
    serializer_class = RiskAssessmentSerializer
    filterset_class = CaseFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("instrument", "assessor__user", "case")

    def restrict_action(self) -> str:
        if self.action in ("override", "void"):
            return "change"
        if self.action == "goals_from_needs":
            return "view"
        return super().restrict_action()

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()  # the service scores, saves and audits
            self.recheck_scope(instance, "add")

    @extend_schema(request=OverrideSerializer, responses=RiskAssessmentSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Any, pk: Any = None) -> Response:
        """Supervisor override of the level (lead agency supervisors only; reason required)."""
        assessment = self.get_object()
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            updated = services.override_level(
                assessment,
                body.validated_data["final_level"],
                body.validated_data["override_reason"],
                request.user,
            )
        except DjangoValidationError as exc:
            raise service_error(exc, {"final_level", "override_reason"}, "final_level")
        return Response(self.get_serializer(updated).data)

    @extend_schema(request=VoidSerializer, responses=RiskAssessmentSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request: Any, pk: Any = None) -> Response:
        """Void an assessment with a reason; the supervision level is re-derived."""
        assessment = self.get_object()
        body = VoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            updated = services.void_assessment(
                assessment, body.validated_data["void_reason"], request.user
            )
        except DjangoValidationError as exc:
            raise service_error(exc, {"void_reason", "status"}, "void_reason")
        return Response(self.get_serializer(updated).data)

    @extend_schema(request=PreviewRequestSerializer, responses=PreviewResultSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Any) -> Response:
        """Score answers without saving (running total; level once every item is answered)."""
        body = PreviewRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.preview_for_case(
            data["case"], data["instrument"], data["answers"], release_date=data.get("release_date")
        )
        return Response(
            {
                "total_score": result.total,
                "computed_level": result.level,
                "level_label": result.level_label,
                "complete": result.complete,
                "item_scores": result.item_scores,
                "subscores": result.subscores,
                "needs": [
                    {"code": n.code, "label": n.label, "points": n.points, "goal": n.goal}
                    for n in result.needs
                ],
                "messages": result.messages,
                "errors": result.errors,
            }
        )

    @extend_schema(request=None, responses={201: CasePlanGoalSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="goals-from-needs")
    def goals_from_needs(self, request: Any, pk: Any = None) -> Response:
        """Create case-plan goals for this assessment's needs that have no open goal."""
        assessment = self.get_object()
        try:
            goals = services.goals_from_needs(assessment, request.user)
        except DjangoValidationError as exc:
            raise service_error(exc, {"status"}, "status")
        data = CasePlanGoalSerializer(goals, many=True, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class CasePlanGoalViewSet(RestrictedViewSet):
    """Case-plan goals with interventions, responsibility, target date, status and progress
    notes. Goals are closed by status, not deleted."""

    queryset = CasePlanGoal.objects.order_by("target_date", "pk")
    serializer_class = CasePlanGoalSerializer
    filterset_class = CaseFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        from django.db.models import Prefetch

        notes = ProgressNote.objects.select_related("author__user").order_by("-written_on", "-pk")
        return (
            super()
            .get_queryset()
            .select_related("case", "responsible_agency")
            .prefetch_related(Prefetch("progress_notes", queryset=notes))
        )

    def restrict_action(self) -> str:
        if self.action == "progress_notes":
            return "view"
        return super().restrict_action()

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()  # the service validates, saves and audits
            self.recheck_scope(instance, "add")

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()
            self.recheck_scope(instance, "change")

    @extend_schema(request=ProgressNoteSerializer, responses={201: ProgressNoteSerializer})
    @action(detail=True, methods=["post"], url_path="progress-notes")
    def progress_notes(self, request: Any, pk: Any = None) -> Response:
        """Add a dated progress note to the goal."""
        goal = self.get_object()
        # A progress note writes the goal's `progress_notes` field: the MOU must allow it.
        CasePlanGoalSerializer(
            goal,
            data={"progress_notes": request.data},
            partial=True,
            context=self.get_serializer_context(),
        ).check_writable(goal.case, {})
        body = ProgressNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            note = services.add_progress_note(
                goal,
                request.user,
                body.validated_data["note"],
                body.validated_data.get("written_on"),
            )
        except DjangoValidationError as exc:
            raise service_error(exc, {"note", "written_on"}, "note")
        return Response(ProgressNoteSerializer(note).data, status=status.HTTP_201_CREATED)
