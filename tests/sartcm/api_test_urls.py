"""A minimal case endpoint on the shared base classes, to test the API mechanism itself."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from agencies.choices import RecordType
from cases.models import Case
from sartcm import urls as site_urls
from sartcm.api.viewsets import FieldLimitedSerializer, RestrictedViewSet


class CaseSerializer(FieldLimitedSerializer):
    record_type = RecordType.STATUS
    always_fields = ("id", "case_number")

    class Meta:
        model = Case
        fields = ["id", "case_number", "status", "expected_release_date", "jurisdiction"]
        read_only_fields = ["id", "case_number", "jurisdiction"]

    def case_for(self, instance: Case) -> Case:
        return instance

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self.check_writable(self.instance, attrs)
        return attrs


class CaseViewSet(RestrictedViewSet):
    queryset = Case.objects.all()
    serializer_class = CaseSerializer


router = DefaultRouter()
router.register("cases", CaseViewSet, basename="testcase")
# The site's own URLs too: the MFA middleware and templates reverse them.
urlpatterns = router.urls + site_urls.urlpatterns
