"""The project's URLs plus two views that fail, to test what an uncaught error answers (used
with @pytest.mark.urls in tests/api/test_error_responses.py only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from sartcm.urls import handler500
from sartcm.urls import urlpatterns as project_urlpatterns

SECRET = "password=hunter2 in /srv/sartcm/settings.py"


@api_view(["GET"])
@permission_classes([AllowAny])
def api_failure(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


def page_failure(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


urlpatterns = [
    path("api/v1/failing/", api_failure),
    path("failing/", page_failure),
    *project_urlpatterns,
]
__all__ = ["handler500", "urlpatterns"]
