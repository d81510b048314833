"""Pages of the mou app, and its API registration."""

from __future__ import annotations

from typing import Any

from django.urls import path

from mou import views

app_name = "mou"
urlpatterns: list[Any] = [
    path("", views.MOUListView.as_view(), name="list"),
    path("new/", views.MOUCreateView.as_view(), name="create"),
    path("<int:pk>/", views.MOUDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.MOUEditView.as_view(), name="edit"),
    path("<int:pk>/terms/", views.MOUTermsView.as_view(), name="terms"),
    path("<int:pk>/terms/<int:term_pk>/", views.TermEditView.as_view(), name="term_edit"),
    path(
        "<int:pk>/terms/<int:term_pk>/delete/", views.TermDeleteView.as_view(), name="term_delete"
    ),
    path("<int:pk>/send/", views.MOUSendView.as_view(), name="send"),
    path("<int:pk>/sign/", views.MOUSignView.as_view(), name="sign"),
    path("<int:pk>/terminate/", views.MOUTerminateView.as_view(), name="terminate"),
    path("<int:pk>/amend/", views.MOUAmendView.as_view(), name="amend"),
    path("<int:pk>/amend/discard/", views.MOUDiscardAmendmentView.as_view(), name="discard"),
    path("<int:pk>/preview/", views.MOUPreviewView.as_view(), name="preview"),
]


def register_api(router: Any) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    from mou.api.views import MOUTermViewSet, MOUViewSet

    router.register("mous", MOUViewSet, basename="mou")
    router.register("mou-terms", MOUTermViewSet, basename="mou-term")
