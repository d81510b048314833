"""API for the agency and staff directories and training records."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agencies import services
from agencies.api import examples
from agencies.api.serializers import (
    AgencySerializer,
    StaffSerializer,
    TrainingCourseSerializer,
    TrainingRecordSerializer,
)
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord
from sartcm.api.viewsets import IsActiveStaff, RestrictedViewSet


@extend_schema_view(**examples.AGENCIES)
class AgencyViewSet(RestrictedViewSet):
    """Partner agencies (read-only directory)."""

    queryset = Agency.objects.all()
    serializer_class = AgencySerializer
    http_method_names = ["get", "head", "options"]
    audit_reads = False
    filterset_fields = ["kind", "jurisdiction", "active"]


@extend_schema_view(**examples.STAFF)
class StaffViewSet(RestrictedViewSet):
    """Staff of the caller's agency (read-only directory)."""

    queryset = StaffMember.objects.all()
    serializer_class = StaffSerializer
    http_method_names = ["get", "head", "options"]
    audit_reads = False
    filterset_fields = ["active", "supervisor"]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("user")


@extend_schema_view(**examples.TRAINING_COURSES)
class TrainingCourseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The statewide training catalogue (read-only reference data for active staff; the
    course model has no agency scope)."""

    queryset = TrainingCourse.objects.order_by("title")
    serializer_class = TrainingCourseSerializer
    permission_classes = [IsActiveStaff]
    filterset_fields = ["active"]


@extend_schema_view(**examples.TRAINING_RECORDS)
class TrainingRecordViewSet(RestrictedViewSet):
    """Training records: my agency's (administrators, supervisors) or my own. POST records a
    completion (multipart for evidence); the expiry is computed from the renewal period."""

    queryset = TrainingRecord.objects.all()
    serializer_class = TrainingRecordSerializer
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["staff", "course"]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("course")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            record = services.record_completion(
                request.user,
                staff=data["staff"],
                course=data["course"],
                completed_on=data["completed_on"],
                evidence=data.get("evidence"),
                evidence_note=data.get("evidence_note", ""),
                today=timezone.localdate(),
            )
        except PermissionDenied:
            raise Http404
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


def register(router: Any) -> None:
    """Routes: agencies/, staff/, training-courses/, training-records/."""
    router.register("agencies", AgencyViewSet, basename="agency")
    router.register("staff", StaffViewSet, basename="staff")
    router.register("training-courses", TrainingCourseViewSet, basename="training-course")
    router.register("training-records", TrainingRecordViewSet, basename="training-record")
