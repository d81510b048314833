"""The mou API: MOUs and their terms, with the lifecycle as actions. Reads go through
`restrict()` (404 for an MOU of which the caller's agency is not a party); every change goes
through mou.services, which decides who may do what."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from mou import services
from mou.api import examples
from mou.api.serializers import (
    MOUPreviewSerializer,
    MOUSerializer,
    SignatureSerializer,
    TerminateSerializer,
    TermSerializer,
)
from mou.models import MOU, DataSharingTerm, MOUParty
from sartcm.api.viewsets import RestrictedViewSet

# Lifecycle actions are decided by the services (signatories are not administrators), so the
# MOU only has to be visible; plain writes (PATCH) need "change" like every other resource.
LIFECYCLE_ACTIONS = {"send", "sign", "terminate", "amend", "discard_amendment", "preview"}


@extend_schema_view(**examples.MOUS)
class MOUViewSet(RestrictedViewSet):
    """MOUs your agency is party to; drafting and the lifecycle for administrators and
    signatories."""

    queryset = MOU.objects.prefetch_related(
        Prefetch("party_rows", queryset=MOUParty.objects.select_related("agency")),
        "signatures__signed_by__user",
        "terms",
    )
    serializer_class = MOUSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    audit_reads = False  # agreements, not case data; changes are audited by the services
    ordering_fields = ["id", "effective_date", "title"]

    def restrict_action(self) -> str:
        return "view" if self.action in LIFECYCLE_ACTIONS else super().restrict_action()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mou = services.create_mou(
            request.user,
            title=data["title"],
            purpose=data["purpose"],
            effective_date=data["effective_date"],
            expiration_date=data.get("expiration_date"),
            parties=serializer.party_specs(),
        )
        return Response(self.get_serializer(self.fresh(mou)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # restrict(user, "change"): 404 unless a party's admin; a stale If-Match: 412
        with self.guarded_write() as mou:
            serializer = self.get_serializer(mou, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            changes: dict[str, Any] = {
                k: data[k] for k in ("title", "purpose", "effective_date") if k in data
            }
            if "expiration_date" in data:
                changes["expiration_date"] = data["expiration_date"]
                changes["clear_expiration"] = data["expiration_date"] is None
            if "party_rows" in data:
                changes["parties"] = serializer.party_specs()
            services.update_mou(request.user, mou, **changes)
        return Response(self.get_serializer(self.fresh(mou)).data)

    def fresh(self, mou: MOU) -> MOU:
        return self.queryset.get(pk=mou.pk)

    def _done(self, mou: MOU) -> Response:
        return Response(self.get_serializer(self.fresh(mou)).data)

    @extend_schema(request=None, responses=MOUSerializer, summary="Send for signature")
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        mou = self.get_object()
        services.send_for_signature(request.user, mou)
        return self._done(mou)

    @extend_schema(request=None, responses=SignatureSerializer, summary="Sign for your agency")
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        signature = services.sign(request.user, self.get_object())
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TerminateSerializer, responses=MOUSerializer, summary="Terminate")
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        mou = self.get_object()
        body = TerminateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.terminate(request.user, mou, body.validated_data["reason"])
        return self._done(mou)

    @extend_schema(request=None, responses=MOUSerializer, summary="Start an amendment")
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        mou = self.get_object()
        services.start_amendment(request.user, mou)
        return self._done(mou)

    @extend_schema(request=None, responses=MOUSerializer, summary="Discard a pending amendment")
    @action(detail=True, methods=["post"], url_path="discard-amendment")
    def discard_amendment(self, request: Request, pk: str | None = None) -> Response:
        mou = self.get_object()
        services.discard_amendment(request.user, mou)
        return self._done(mou)

    @extend_schema(responses=MOUPreviewSerializer(many=True), summary="What each recipient gains")
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        mou = self.get_object()
        return Response(MOUPreviewSerializer(services.preview(mou), many=True).data)


@extend_schema_view(**examples.MOU_TERMS)
class MOUTermViewSet(RestrictedViewSet):
    """Data-sharing terms (every version, for history). Add, change and remove act on the
    editable version only: a draft, or a pending amendment."""

    queryset = DataSharingTerm.objects.select_related("mou").order_by("mou_id", "version", "id")
    serializer_class = TermSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    audit_reads = False
    ordering_fields = ["id", "version"]

    def restrict_action(self) -> str:
        # MOU admins of a party may change its terms; the services check the details
        return "view" if self.request.method == "POST" else super().restrict_action()

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        mou = self.request.query_params.get("mou")
        return queryset.filter(mou_id=mou) if mou and mou.isdigit() else queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        term = services.add_term(
            request.user,
            data["mou"],
            provider=data["provider"],
            recipient=data["recipient"],
            record_type=data["record_type"],
            fields=data["fields"],
            actions=data["actions"],
            scope=data["scope"],
        )
        return Response(self.get_serializer(term).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with self.guarded_write() as term:
            serializer = self.get_serializer(term, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            term = services.update_term(request.user, term, **serializer.validated_data)
        return Response(self.get_serializer(term).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with self.guarded_write() as term:
            services.remove_term(request.user, term)
        return Response(status=status.HTTP_204_NO_CONTENT)
