"""REST API for alerts: list and read (restricted), acknowledge, resolve with a note.

Alerts are raised by the sweep, never created through the API. The text and facts of an alert
are rendered for the caller from their field allow-list (a victim advocate's alert carries no
assessment detail).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.querysets import staff_of
from cases.alerts import services
from cases.alerts.notify import alert_text, allowed_facts, prepare
from cases.api import examples
from cases.models import Alert
from cases.views.alerts import filter_alerts
from protocols.choices import AlertRuleCode
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet

FIELDS = [
    "id",
    "rule",
    "rule_label",
    "severity",
    "status",
    "due_date",
    "case",
    "case_number",
    "agency",
    "message",
    "facts",
    "assignee",
    "assignee_name",
    "escalated_to",
    "escalated_at",
    "raised_at",
    "acknowledged_at",
    "resolved_at",
    "resolution_note",
]


class AlertSerializer(FieldLimitedSerializer):
    """Structural fields for anyone who can see the alert; `message` and `facts` rendered
    from the caller's allow-list for the alert's record type."""

    always_fields = tuple(FIELDS)
    rule_label = serializers.SerializerMethodField()
    case_number = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    facts = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = FIELDS
        read_only_fields = FIELDS

    def get_rule_label(self, obj: Alert) -> str:
        return AlertRuleCode(obj.rule).label

    def get_case_number(self, obj: Alert) -> str | None:
        return obj.case.case_number if obj.case_id else None

    def get_message(self, obj: Alert) -> str:
        return alert_text(obj, self._user())

    def get_facts(self, obj: Alert) -> dict[str, str]:
        return allowed_facts(obj, self._user())

    def get_assignee_name(self, obj: Alert) -> str:
        return obj.assignee.full_name if obj.assignee_id else ""

    def allowed(self, instance: Any) -> frozenset[str]:
        return frozenset(FIELDS)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("rule", str, enum=AlertRuleCode.values),
            OpenApiParameter(
                "status", str, enum=["active", "open", "acknowledged", "resolved", "all"]
            ),
            OpenApiParameter("case", str, description="Case number."),
            OpenApiParameter("scope", str, enum=["mine", "all"]),
        ]
    )
)
@extend_schema_view(**examples.ALERTS)
class AlertViewSet(RestrictedViewSet):
    """Alerts the caller may see; ?scope=mine for those assigned or escalated to them."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        queryset = (
            super()
            .get_queryset()
            .select_related("case", "assignee__user")
            .order_by("due_date", "pk")
        )
        params = self.request.query_params
        data = {
            "rule": params.get("rule", ""),
            "status": params.get("status", "active"),
            "case": params.get("case", ""),
            "scope": params.get("scope", "all"),
        }
        return filter_alerts(queryset, data, staff_of(self.request.user))

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        prepare(list(page or []), self.request.user)
        return page

    @extend_schema(exclude=True)  # alerts are raised by the sweep, never by a client
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise MethodNotAllowed("POST", detail="Alerts are raised by the sweep.")

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        alert = services.access_alert(request.user, pk)
        alert = services.acknowledge(request.user, alert)
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=ResolveSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        alert = services.access_alert(request.user, pk)
        payload = ResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        alert = services.resolve(request.user, alert, payload.validated_data["note"])
        return Response(self.get_serializer(alert).data)
