"""REST API for release plans and board decisions.

Field names are the shareable names of agencies/vocabulary.py (release_plans, board_decisions),
so MOU field allow-lists apply. Plans carry optimistic concurrency: every response has an
ETag with the plan's version; every change must send it back (If-Match, or `version` in the
body). A stale change answers 412 (If-Match) or 409 (body version), problem+json, and
changes nothing. Board decisions are immutable: GET and POST only.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.choices import RecordType, Role
from agencies.models import Agency, StaffMember
from cases.access import AllFields
from cases.api import examples
from cases.choices import Vote
from cases.models import (
    BoardDecision,
    BoardReview,
    BoardVote,
    Case,
    HouseholdMember,
    PlanCondition,
    ReleasePlan,
)
from cases.services import release as svc
from protocols.choices import SupervisionLevel
from protocols.models import SpecialCondition
from sartcm import audit
from sartcm.api.openapi import SafeWriteAutoSchema
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet
from sartcm.models import AuditAction, AuditOutcome


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The release plan changed since the version you sent."
    default_code = "precondition_failed"


class EditConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The release plan changed since the version you sent."
    default_code = "conflict"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send the version your change is based on."
    default_code = "precondition_required"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The plan\'s ETag (e.g. "3"); or send `version` in the body.',
)


def expected_version(request: Request, *, required: bool) -> tuple[int | None, bool]:
    """(version, came_from_if_match). If-Match wins over a `version` in the body."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        raw = header.removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise ValidationError(
                {"If-Match": 'Send the plan\'s ETag, e.g. "3" (a wildcard is not accepted).'}
            )
        return int(raw), True
    body = request.data.get("version") if hasattr(request.data, "get") else None
    if body not in (None, ""):
        try:
            return int(body), False
        except (TypeError, ValueError):
            raise ValidationError({"version": "A whole number: the plan's version."})
    if required:
        raise PreconditionRequired(
            "Send the version your change is based on: If-Match with the plan's ETag, "
            "or `version` in the body."
        )
    return None, False


def conflict_error(conflict: svc.PlanConflict, from_header: bool) -> APIException:
    return (PreconditionFailed if from_header else EditConflict)(conflict.message)


class HouseholdMemberSerializer(serializers.ModelSerializer):
    """Someone living at the proposed residence (under 18: flagged as a minor)."""

    class Meta:
        model = HouseholdMember
        fields = ["name", "relationship", "age", "is_minor"]


class PlanConditionSerializer(serializers.ModelSerializer):
    """A catalogue condition chosen for the plan (write `condition` id and `details`)."""

    condition = serializers.PrimaryKeyRelatedField(queryset=SpecialCondition.objects.all())
    code = serializers.CharField(source="condition.code", read_only=True)
    condition_version = serializers.IntegerField(source="condition.version", read_only=True)
    title = serializers.CharField(source="condition.title", read_only=True)

    class Meta:
        model = PlanCondition
        fields = ["condition", "code", "condition_version", "title", "details"]


class ReleasePlanSerializer(FieldLimitedSerializer):
    """A release plan: only the fields the caller's terms share (lead agency: all)."""

    record_type = RecordType.RELEASE_PLANS
    always_fields = ("id", "case", "version")
    read_only_names = frozenset(
        {
            "id",
            "status",
            "restriction_check",
            "residence_approved",
            "home_investigated_by_name",
            "home_investigated_on",
            "submitted_at",
            "planner_name",
            "no_contact_persons",
        }
    )

    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())
    household_members = HouseholdMemberSerializer(many=True, required=False)
    special_conditions = PlanConditionSerializer(many=True, required=False, source="conditions")
    planner_name = serializers.SerializerMethodField()
    home_investigated_by_name = serializers.SerializerMethodField()
    no_contact_persons = serializers.SerializerMethodField()
    transition_services = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )
    checklist = serializers.DictField(child=serializers.BooleanField(), required=False)

    class Meta:
        model = ReleasePlan
        fields = [
            "id",
            "case",
            "version",
            "status",
            "release_date",
            "planner_name",
            "submitted_at",
            "residence_address",
            "residence_city",
            "residence_latitude",
            "residence_longitude",
            "housing_status",
            "landlord",
            "household_members",
            "residence_approved",
            "home_investigated_by_name",
            "home_investigated_on",
            "restriction_check",
            "treatment_referral",
            "treatment_provider",
            "treatment_intake_date",
            "employment",
            "income_source",
            "transportation",
            "support_network",
            "special_conditions",
            "transition_services",
            "pre_registered",
            "exclusion_zones",
            "notification_wishes",
            "no_contact_persons",
            "supervision_agency",
            "supervision_officer",
            "checklist",
        ]
        read_only_fields = [
            "version",
            "status",
            "submitted_at",
            "residence_approved",
            "home_investigated_on",
            "restriction_check",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self._user()
        if user is not None:
            self.fields["case"].queryset = Case.objects.restrict_record(
                user, "add", RecordType.RELEASE_PLANS
            )
        self.fields["supervision_officer"].queryset = StaffMember.objects.with_role(
            Role.SUPERVISION_OFFICER
        )

    def allowed(self, instance: Any) -> frozenset[str]:
        return svc.plan_fields_for(self._user(), instance)

    @extend_schema_field(OpenApiTypes.STR)
    def get_planner_name(self, plan: ReleasePlan) -> str:
        return plan.planner.full_name if plan.planner else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_home_investigated_by_name(self, plan: ReleasePlan) -> str:
        return plan.home_investigated_by.full_name if plan.home_investigated_by else ""

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_no_contact_persons(self, plan: ReleasePlan) -> list[str]:
        if "no_contact_persons" not in self.allowed(plan):
            return []  # not shared: do not even read the victims
        return svc.no_contact_names(plan, self._user())

    def check_plan_writable(self, plan: ReleasePlan) -> None:
        """Refuse (400, audited) a write naming a field the caller may not write."""
        user = self._user()
        writable = svc.plan_fields_writable(user, plan)
        refused: dict[str, list[str]] = {}
        for name in self.initial_data:
            if name == "version" or (name == "case" and plan.pk is None):
                continue
            if name not in self.fields:
                refused[name] = ["Unknown field."]
            elif name in self.read_only_names or self.fields[name].read_only:
                refused[name] = ["This field is set by the workflow, not by editing the plan."]
            elif name not in writable:
                refused[name] = ["You may not write this field (not shared with your agency)."]
        if refused:
            audit.record(
                user,
                AuditAction.DENIED,
                outcome=AuditOutcome.DENIED,
                case_id=plan.case_id,
                object_type="cases.releaseplan",
                object_id=str(plan.pk or ""),
                fields=sorted(refused),
                detail="write to fields the caller may not write",
            )
            raise ValidationError(refused)

    @staticmethod
    def split(validated: dict[str, Any]) -> dict[str, Any]:
        """validated_data → the keyword arguments of services.update_plan."""
        data = dict(validated)
        data.pop("case", None)
        household = data.pop("household_members", None)
        conditions = data.pop("conditions", None)
        checklist = data.pop("checklist", None)
        return {
            "changes": data,
            "household": [dict(h) for h in household] if household is not None else None,
            "conditions": (
                [(c["condition"], c.get("details", "")) for c in conditions]
                if conditions is not None
                else None
            ),
            "checklist": checklist,
        }


class VersionSerializer(serializers.Serializer):
    """The version a workflow action is based on (or send If-Match)."""

    version = serializers.IntegerField(required=False, min_value=1)


class ReferSerializer(VersionSerializer):
    board = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())


class ReleaseSerializer(VersionSerializer):
    released_on = serializers.DateField()
    supervision_level = serializers.ChoiceField(
        choices=SupervisionLevel.choices, required=False, allow_blank=True
    )


class HomeInvestigationSerializer(VersionSerializer):
    """The supervision officer's home investigation of the proposed residence."""

    residence_approved = serializers.BooleanField(
        help_text="true: the residence is approved; false: not approved."
    )
    home_investigated_on = serializers.DateField(help_text="Date of the home visit.")


class HearingSerializer(VersionSerializer):
    """Schedule (or reschedule) the board hearing of the plan's current referral."""

    hearing_date = serializers.DateTimeField(
        allow_null=True, help_text="Date and time of the hearing (null: not scheduled)."
    )
    hearing_location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    public_comment = serializers.CharField(required=False, allow_blank=True)


class BoardReviewSerializer(FieldLimitedSerializer):
    """A plan's referral to a parole board and its hearing; `version` is the plan's version
    (the hearing is part of the plan's review: send it back as If-Match)."""

    record_type = RecordType.BOARD_DECISIONS
    always_fields = ("id", "plan", "board", "referred_at", "version")
    # The hearing's place and public comment are shared with the hearing date.
    gates = {"hearing_location": "hearing_date", "public_comment": "hearing_date"}

    version = serializers.IntegerField(source="plan.version", read_only=True)

    class Meta:
        model = BoardReview
        fields = [
            "id",
            "plan",
            "board",
            "referred_at",
            "hearing_date",
            "hearing_location",
            "public_comment",
            "version",
        ]
        read_only_fields = fields

    def allowed(self, instance: Any) -> frozenset[str]:
        allowed = svc.visible_fields(self._user(), instance.case, self.record_type)
        if isinstance(allowed, AllFields):
            return allowed
        return frozenset(allowed | {k for k, gate in self.gates.items() if gate in allowed})


class PlanSchema(SafeWriteAutoSchema):
    """Also documents the plan's version contract: 409 (stale body version), 412 (stale
    If-Match) and, where the version is required, 428."""

    VERSIONED = frozenset(
        {
            "partial_update",
            "submit",
            "withdraw",
            "refer",
            "release",
            "home_investigation",
            "restriction_check",
            "hearing",
        }
    )
    REQUIRED = frozenset({"partial_update", "home_investigation"})

    def error_codes(self) -> list[str]:
        codes = set(super().error_codes())
        if self._action() in self.VERSIONED:
            codes |= {"409", "412"}
        if self._action() in self.REQUIRED:
            codes.add("428")
        return sorted(codes)


@extend_schema_view(**examples.RELEASE_PLANS)
class ReleasePlanViewSet(RestrictedViewSet):
    """Release plans: list, read, create, change (with If-Match) and the workflow actions."""

    schema = PlanSchema()

    queryset = ReleasePlan.objects.all()
    serializer_class = ReleasePlanSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["status", "case"]

    WORKFLOW = frozenset(
        {"submit", "withdraw", "refer", "release", "home_investigation", "restriction_check"}
    )

    def restrict_action(self) -> str:
        if getattr(self, "action", None) in self.WORKFLOW:
            return "change"
        if getattr(self, "action", None) == "hearing":
            # The board acts on its review (board-decision standing), not on the plan's content.
            return "view"
        return super().restrict_action()

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related(
                "case__lead_agency",
                "case__offender",
                "planner__user",
                "home_investigated_by__user",
                "supervision_officer__user",
            )
            .prefetch_related("household_members", "conditions__condition", "case__victims")
        )

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        # Warm the per-request access caches for the whole page: a bounded number of queries.
        cases = [plan.case for plan in rows]
        for record_type in (RecordType.RELEASE_PLANS, RecordType.VICTIM_SAFETY):
            svc.visible_fields_bulk(self.request.user, cases, record_type)
        return page

    def _respond(self, plan: ReleasePlan, code: int = status.HTTP_200_OK) -> Response:
        plan = self.get_queryset_for_view().get(pk=plan.pk)
        data = self.get_serializer(plan).data
        response = Response(data, status=code)
        response["ETag"] = f'"{plan.version}"'
        return response

    def get_queryset_for_view(self) -> Any:
        return (
            ReleasePlan.objects.restrict(self.request.user, "view")
            .select_related("case__lead_agency", "case__offender", "planner__user")
            .prefetch_related("household_members", "conditions__condition")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data.get("version")}"'
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = serializer.validated_data["case"]
        serializer.check_plan_writable(ReleasePlan(case=case))
        parts = serializer.split(serializer.validated_data)
        changes = parts["changes"]
        release_date = changes.pop("release_date", None)
        with transaction.atomic():
            plan = svc.create_plan(case, request.user, release_date=release_date, **changes)
            if any(parts[k] is not None for k in ("household", "conditions", "checklist")):
                svc.update_plan(
                    plan,
                    request.user,
                    expected_version=plan.version,
                    household=parts["household"],
                    conditions=parts["conditions"],
                    checklist=parts["checklist"],
                )
            self.recheck_scope(plan, "add")
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()  # restrict(user, "change"): invisible → 404
        version, from_header = expected_version(request, required=True)
        serializer = self.get_serializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.check_plan_writable(plan)
        try:
            with transaction.atomic():
                svc.update_plan(
                    plan,
                    request.user,
                    expected_version=version,
                    **serializer.split(serializer.validated_data),
                )
                self.recheck_scope(plan, "change")
        except svc.PlanConflict as conflict:
            raise conflict_error(conflict, from_header)
        return self._respond(plan)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            raise ValidationError({"method": "Use PATCH with the fields you change."})
        return self.partial_update(request, *args, **kwargs)

    def _workflow(self, request: Request, run: Any, body: type | None = None) -> Response:
        """Run a workflow action on the plan. The plan is looked up first, so a plan the
        caller may not act on is a 404 whatever the body holds (a 400 would confirm it)."""
        plan = self.get_object()
        data: dict[str, Any] = {}
        if body is not None:
            serializer = body(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        version, from_header = expected_version(request, required=False)
        try:
            run(plan, version, data)
        except svc.PlanConflict as conflict:
            raise conflict_error(conflict, from_header)
        return self._respond(plan)

    @extend_schema(
        request=VersionSerializer, responses=ReleasePlanSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit for board review (refused, listing the missing checklist items)."""
        return self._workflow(
            request, lambda plan, v, _: svc.submit_plan(plan, request.user, expected_version=v)
        )

    @extend_schema(
        request=VersionSerializer, responses=ReleasePlanSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Take a submitted plan back to draft."""
        return self._workflow(
            request, lambda plan, v, _: svc.withdraw_plan(plan, request.user, expected_version=v)
        )

    @extend_schema(request=ReferSerializer, responses=ReleasePlanSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def refer(self, request: Request, pk: str | None = None) -> Response:
        """Refer a submitted plan to a parole board."""
        return self._workflow(
            request,
            lambda plan, v, data: svc.refer_to_board(
                plan, data["board"], request.user, expected_version=v
            ),
            body=ReferSerializer,
        )

    @extend_schema(
        request=ReleaseSerializer, responses=ReleasePlanSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Record the release: the case passes to community supervision."""
        return self._workflow(
            request,
            lambda plan, v, data: svc.record_release(
                plan,
                data["released_on"],
                request.user,
                supervision_level=data.get("supervision_level") or None,
                expected_version=v,
            ),
            body=ReleaseSerializer,
        )

    @extend_schema(
        request=HomeInvestigationSerializer,
        responses=ReleasePlanSerializer,
        parameters=[IF_MATCH],
        **examples.HOME_INVESTIGATION,
    )
    @action(detail=True, methods=["post"], url_path="home-investigation")
    def home_investigation(self, request: Request, pk: str | None = None) -> Response:
        """Record the home investigation of the proposed residence (supervision officers only;
        a draft or returned plan). Requires the plan's version (If-Match or `version`)."""
        plan = self.get_object()  # restrict(user, "change"): invisible → 404
        body = HomeInvestigationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version, from_header = expected_version(request, required=True)
        try:
            svc.record_home_investigation(
                plan,
                request.user,
                expected_version=version,
                approved=body.validated_data["residence_approved"],
                investigated_on=body.validated_data["home_investigated_on"],
            )
        except svc.PlanConflict as conflict:
            raise conflict_error(conflict, from_header)
        return self._respond(plan)

    @extend_schema(
        request=VersionSerializer,
        responses=ReleasePlanSerializer,
        parameters=[IF_MATCH],
        **examples.RESTRICTION_CHECK,
    )
    @action(detail=True, methods=["post"], url_path="restriction-check")
    def restriction_check(self, request: Request, pk: str | None = None) -> Response:
        """Run the residence-restriction check again (after the protocol or the protected sites
        changed). The result is derived data: the plan's version does not change. A version,
        if sent, must be current."""
        return self._workflow(
            request,
            lambda plan, v, _: svc.rerun_restriction_check(plan, request.user, expected_version=v),
        )

    @extend_schema(
        request=HearingSerializer,
        responses=BoardReviewSerializer,
        parameters=[IF_MATCH],
        **examples.HEARING,
    )
    @action(detail=True, methods=["post"])
    def hearing(self, request: Request, pk: str | None = None) -> Response:
        """Schedule or reschedule the hearing of the plan's current referral and record public
        comment (members of the board the plan is referred to; a plan under review). The
        plan's version goes up; send the version you saw (If-Match or `version`)."""
        plan = self.get_object()  # restrict(user, "view"): invisible → 404
        review = (
            BoardReview.objects.restrict(request.user, "add")
            .filter(plan=plan)
            .select_related("board", "case", "plan")
            .order_by("-referred_at", "-pk")
            .first()
        )
        if review is None:  # not referred, or no standing to act for the board: not found
            raise Http404
        body = HearingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version, from_header = expected_version(request, required=False)
        data = body.validated_data
        try:
            review = svc.schedule_hearing(
                review,
                request.user,
                hearing_date=data["hearing_date"],
                hearing_location=data.get("hearing_location", ""),
                public_comment=data.get("public_comment", ""),
                expected_version=version,
            )
        except svc.PlanConflict as conflict:
            raise conflict_error(conflict, from_header)
        review = BoardReview.objects.select_related("plan", "case").get(pk=review.pk)
        response = Response(
            BoardReviewSerializer(review, context=self.get_serializer_context()).data
        )
        response["ETag"] = f'"{review.plan.version}"'
        return response


class BoardVoteSerializer(serializers.ModelSerializer):
    """One board member's vote."""

    member = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.none())
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    vote = serializers.ChoiceField(choices=Vote.choices)

    class Meta:
        model = BoardVote
        fields = ["member", "member_name", "vote", "comment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = StaffMember.objects.active().with_role(Role.BOARD_MEMBER)


class BoardDecisionSerializer(FieldLimitedSerializer):
    """A recorded board decision with its votes (immutable: create only)."""

    record_type = RecordType.BOARD_DECISIONS
    always_fields = ("id", "plan", "review", "supersedes", "recorded_at")
    # Write-only names governed by a shareable field.
    write_aliases = {"add_conditions": "conditions"}

    plan = serializers.PrimaryKeyRelatedField(
        source="review.plan", queryset=ReleasePlan.objects.none()
    )
    review = serializers.PrimaryKeyRelatedField(read_only=True)
    votes = BoardVoteSerializer(many=True)
    hearing_date = serializers.DateTimeField(source="review.hearing_date", read_only=True)
    add_conditions = serializers.PrimaryKeyRelatedField(
        queryset=SpecialCondition.objects.all(), many=True, required=False, write_only=True
    )

    class Meta:
        model = BoardDecision
        fields = [
            "id",
            "plan",
            "review",
            "decision",
            "decided_on",
            "conditions",
            "rationale",
            "votes",
            "hearing_date",
            "add_conditions",
            "supersedes",
            "recorded_at",
        ]
        read_only_fields = ["supersedes", "recorded_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self._user()
        if user is not None:
            self.fields["plan"].queryset = ReleasePlan.objects.restrict(user, "view")

    def check_decision_writable(self, case: Case) -> None:
        from cases.access import allowed_fields

        user = self._user()
        allowed = allowed_fields(user, case, self.record_type)
        refused = {}
        for name in self.initial_data:
            if name in self.always_fields and name not in ("review", "supersedes", "recorded_at"):
                continue
            if name not in self.fields or self.fields[name].read_only:
                refused[name] = ["This field cannot be written."]
            elif self.write_aliases.get(name, name) not in allowed:
                refused[name] = ["You may not write this field (not shared with your agency)."]
        if refused:
            audit.record(
                user,
                AuditAction.DENIED,
                outcome=AuditOutcome.DENIED,
                case_id=case.pk,
                object_type="cases.boarddecision",
                fields=sorted(refused),
                detail="write to fields the caller may not write",
            )
            raise ValidationError(refused)


@extend_schema_view(**examples.BOARD_DECISIONS)
class BoardDecisionViewSet(RestrictedViewSet):
    """Board decisions: read, and record new ones. Recorded decisions are never changed."""

    queryset = BoardDecision.objects.all()
    serializer_class = BoardDecisionSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["decision"]

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("review__plan", "case__lead_agency")
            .prefetch_related("votes__member__user")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan: ReleasePlan = data["review"]["plan"]
        serializer.check_decision_writable(plan.case)
        review = plan.reviews.order_by("-referred_at", "-pk").first()
        if review is None:
            raise ValidationError({"plan": "This plan has not been referred to a board."})
        with transaction.atomic():
            decision = svc.record_decision(
                review,
                request.user,
                decision=data["decision"],
                decided_on=data["decided_on"],
                rationale=data.get("rationale", ""),
                conditions=data.get("conditions", ""),
                votes=[
                    svc.VoteInput(v["member"], v["vote"], v.get("comment", ""))
                    for v in data["votes"]
                ],
                add_conditions=[(c, "") for c in data.get("add_conditions", [])],
            )
            self.recheck_scope(decision, "view")
        instance = self.get_queryset_for_view().get(pk=decision.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def get_queryset_for_view(self) -> Any:
        return (
            BoardDecision.objects.restrict(self.request.user, "view")
            .select_related("review__plan", "case__lead_agency")
            .prefetch_related("votes__member__user")
        )
