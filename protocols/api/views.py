"""API for protocols, versions and standards.

Reads: every active staff member (restrict(user, 'view')). Writes: editors (restrict(user,
'change'/'add') = protocols.rules). Every write goes through protocols.services, so it is
validated the same way as on the pages and audited with before/after.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import StaffMember
from protocols import services
from protocols.api import examples
from protocols.api.serializers import (
    AcknowledgmentSerializer,
    AdoptSerializer,
    DiffSerializer,
    EndSerializer,
    PendingAcknowledgmentSerializer,
    PreviewSerializer,
    ProtocolSerializer,
    ProtocolVersionSerializer,
    ProtocolVersionUpdateSerializer,
    standard_serializers,
)
from protocols.kinds import KINDS, StandardKind
from protocols.models import Protocol, ProtocolVersion
from protocols.previews import preview_change
from protocols.rendering import diff_lines, unified_diff
from protocols.rules import can_edit_standards
from sartcm.api.viewsets import RestrictedViewSet


class ReferenceViewSet(RestrictedViewSet):
    """Reference data: restricted like everything else, but reads are not audited row by row
    (they disclose no case data); writes are audited by the services."""

    audit_reads = False
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(**examples.PROTOCOLS)
class ProtocolViewSet(ReferenceViewSet):
    """Protocols and position papers. POST/PATCH: editors (their agency's or statewide)."""

    queryset = Protocol.objects.all()
    serializer_class = ProtocolSerializer
    filterset_fields = ["area"]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("owner_agency").prefetch_related("versions")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_edit_standards(request.user):
            raise Http404
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        protocol = services.create_protocol(request.user, **serializer.validated_data)
        return Response(self.get_serializer(protocol).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with self.guarded_write() as protocol:  # restrict(user, 'change'): 404 outside it
            serializer = self.get_serializer(protocol, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            protocol = services.update_protocol(protocol, request.user, **serializer.validated_data)
        return Response(self.get_serializer(protocol).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


@extend_schema_view(**examples.PROTOCOL_VERSIONS)
class ProtocolVersionViewSet(ReferenceViewSet):
    """Versions: drafts are created and edited by editors, then adopted; staff acknowledge."""

    queryset = ProtocolVersion.objects.all()
    serializer_class = ProtocolVersionSerializer
    filterset_fields = ["protocol", "status"]

    def restrict_action(self) -> str:
        if self.action in {"acknowledge", "diff", "pending"}:
            return "view"
        if self.action in {"adopt", "retire"}:
            return "change"
        return super().restrict_action()

    def get_queryset(self) -> Any:
        # A version inherits its protocol's restriction.
        visible = Protocol.objects.restrict(self.request.user, self.restrict_action())
        return (
            ProtocolVersion.objects.filter(protocol__in=visible.values("pk"))
            .prefetch_related("adopting_agencies")
            .order_by("protocol_id", "-number")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        protocol = data.pop("protocol")
        version = services.create_version(protocol, request.user, **data)
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProtocolVersionUpdateSerializer, responses=ProtocolVersionSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with self.guarded_write() as version:
            serializer = ProtocolVersionUpdateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            version = services.update_draft(version, request.user, **serializer.validated_data)
        return Response(self.get_serializer(version).data)

    @extend_schema(request=ProtocolVersionUpdateSerializer, responses=ProtocolVersionSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=AdoptSerializer, responses=ProtocolVersionSerializer)
    @action(detail=True, methods=["post"])
    def adopt(self, request: Request, pk: str | None = None) -> Response:
        """Adopt a draft from `effective_from`; the previously adopted version is retired."""
        version = self.get_object()
        serializer = AdoptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.adopt_version(
            version, request.user, serializer.validated_data["effective_from"]
        )
        return Response(self.get_serializer(version).data)

    @extend_schema(request=None, responses=ProtocolVersionSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        """Retire a version without a successor."""
        version = services.retire_version(self.get_object(), request.user)
        return Response(self.get_serializer(version).data)

    @extend_schema(request=None, responses=AcknowledgmentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """The caller acknowledges this (adopted) version. Idempotent."""
        ack = services.acknowledge(self.get_object(), request.user)
        return Response(AcknowledgmentSerializer(ack).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                OpenApiTypes.INT,
                description="Id of the other version (default: the previous version).",
            )
        ],
        responses=DiffSerializer,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Line diff from another version of the same protocol to this one."""
        version = self.get_object()
        siblings = ProtocolVersion.objects.filter(protocol_id=version.protocol_id)
        against = request.query_params.get("against")
        if against:
            old = get_object_or_404(siblings, pk=against if against.isdigit() else 0)
        else:
            old = siblings.filter(number__lt=version.number).order_by("-number").first()
            if old is None:
                old = version
        rows = diff_lines(old.body, version.body)
        data = {
            "from_version": old.pk,
            "to_version": version.pk,
            "unified": unified_diff(
                old.body, version.body, f"version {old.number}", f"version {version.number}"
            ),
            "rows": [row.__dict__ for row in rows],
        }
        return Response(DiffSerializer(data).data)

    @extend_schema(request=None, responses=PendingAcknowledgmentSerializer(many=True))
    # One short list (today's owed acknowledgments), answered whole: no paginator, so the
    # schema documents the bare array clients already read.
    @action(detail=False, methods=["get"], pagination_class=None)
    def pending(self, request: Request) -> Response:
        """Acknowledgments still owed today by staff the caller can see (editors: their
        agency; everyone else: themselves)."""
        scope = StaffMember.objects.restrict(request.user, "view")
        if not can_edit_standards(request.user):
            scope = scope.filter(user=request.user)
        rows = services.unacknowledged(timezone.localdate()).filter(pk__in=scope.values("pk"))
        return Response(PendingAcknowledgmentSerializer(list(rows), many=True).data)


def standard_viewset(kind: StandardKind) -> type[ReferenceViewSet]:
    """A viewset for one kind of standard: list (in force on ?on=, or ?history=1), read,
    create a new standard, supersede from a date, preview a change, end."""
    row_serializer, change_serializer = standard_serializers(kind)
    on_parameters = [
        OpenApiParameter("on", OpenApiTypes.DATE, description="In force on this date (default "
                         "today)."),
        OpenApiParameter("jurisdiction", OpenApiTypes.STR, description="Only this "
                         "jurisdiction ('' = the defaults)."),
        OpenApiParameter("history", OpenApiTypes.BOOL, description="Every version, not only "
                         "those in force."),
    ]  # fmt: skip

    class StandardViewSet(ReferenceViewSet):
        queryset = kind.model.objects.all()
        serializer_class = row_serializer
        filterset_fields: list[str] = []

        def get_queryset(self) -> Any:
            queryset = super().get_queryset()
            if self.action != "list":
                return queryset
            params = self.request.query_params
            if params.get("history") not in {"1", "true"}:
                on = parse_date(params.get("on") or "") or timezone.localdate()
                queryset = queryset.in_force(on)
            if "jurisdiction" in params:
                queryset = queryset.filter(jurisdiction=params["jurisdiction"])
            return queryset

        def restrict_action(self) -> str:
            if self.action in {"supersede", "end"}:
                return "change"
            if self.action == "preview":
                return "change"
            return super().restrict_action()

        @extend_schema(parameters=on_parameters)
        def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
            return super().list(request, *args, **kwargs)

        def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
            if not can_edit_standards(request.user):
                raise Http404
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            row = services.create_standard(kind.model, serializer.validated_data, request.user)
            return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

        def _change(self, request: Request) -> tuple[Any, dict[str, Any], Any]:
            current = self.get_object()
            serializer = change_serializer(data=request.data, partial=False)
            serializer.is_valid(raise_exception=True)
            values = dict(serializer.validated_data)
            effective_from = values.pop("effective_from")
            return current, values, effective_from

        @extend_schema(request=change_serializer, responses={201: row_serializer})
        @action(detail=True, methods=["post"])
        def supersede(self, request: Request, pk: str | None = None) -> Response:
            """A new version of this standard from `effective_from` (fields not given keep
            their current values)."""
            current, values, effective_from = self._change(request)
            row = services.supersede(current, values, effective_from, request.user)
            return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

        @extend_schema(request=change_serializer, responses=PreviewSerializer)
        @action(detail=True, methods=["post"])
        def preview(self, request: Request, pk: str | None = None) -> Response:
            """What superseding with these values would change (nothing is saved)."""
            current, values, effective_from = self._change(request)
            services.check_not_backdated("effective_from", effective_from, request.user)
            proposed = services.proposed_version(current, values, effective_from)
            services.validate_row(proposed, skip_overlap=True)
            return Response(PreviewSerializer({"preview": preview_change(current, proposed)}).data)

        @extend_schema(request=EndSerializer, responses=row_serializer)
        @action(detail=True, methods=["post"])
        def end(self, request: Request, pk: str | None = None) -> Response:
            """Stop this standard on `effective_to` without a successor."""
            current = self.get_object()
            serializer = EndSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            row = services.end_standard(
                current, serializer.validated_data["effective_to"], request.user
            )
            return Response(self.get_serializer(row).data)

    StandardViewSet.__name__ = f"{kind.model.__name__}ViewSet"
    StandardViewSet.__qualname__ = StandardViewSet.__name__
    StandardViewSet.__doc__ = f"{kind.label}: {kind.description}"
    return extend_schema_view(**examples.STANDARDS[kind.slug])(StandardViewSet)


STANDARD_VIEWSETS: dict[str, type[ReferenceViewSet]] = {
    kind.slug: standard_viewset(kind) for kind in KINDS
}


def register(router: Any) -> None:
    """Routes: protocols/, protocol-versions/, standards/<kind>/."""
    router.register("protocols", ProtocolViewSet, basename="protocol")
    router.register("protocol-versions", ProtocolVersionViewSet, basename="protocol-version")
    for slug, viewset in STANDARD_VIEWSETS.items():
        router.register(f"standards/{slug}", viewset, basename=f"standard-{slug}")
