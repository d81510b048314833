"""A tiny POST endpoint recording what it created, for Idempotency-Key tests."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from sartcm import urls as site_urls
from sartcm.api.safety import IdempotentCreateMixin
from sartcm.api.viewsets import IsActiveStaff

CREATED: list[str] = []


class _Base(APIView):
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        import time

        time.sleep(0.05)  # widen the race window
        CREATED.append(request.data["text"])
        return Response(
            {"n": len(CREATED), "text": request.data["text"]}, status=status.HTTP_201_CREATED
        )


class EchoView(IdempotentCreateMixin, _Base):
    permission_classes = [IsActiveStaff]

    def post(self, request: Any) -> Response:
        return self.create(request)


urlpatterns = [path("echo/", EchoView.as_view()), *site_urls.urlpatterns]
