"""Base classes for pages: restrict() on every read, 404 for the invisible, audited reads.

    class ContactList(RestrictedListView):
        model = SupervisionContact

A page view never filters by agency itself; it asks the model's queryset.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404
from django.views.generic import DetailView, ListView
from django.views.generic.edit import CreateView, UpdateView

from sartcm import audit
from sartcm.models import AuditAction


class RestrictedMixin(LoginRequiredMixin):
    """`get_queryset` = model.objects.restrict(user, action)."""

    restrict_action = "view"

    def get_queryset(self) -> Any:
        base = super().get_queryset()  # type: ignore[misc]
        return base.restrict(self.request.user, self.restrict_action)  # type: ignore[attr-defined]


class RestrictedListView(RestrictedMixin, ListView):
    paginate_by = 50
    audit_action = AuditAction.LIST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        if rows and hasattr(rows[0], "case_id"):
            audit.record_reads(self.request.user, self.audit_action, rows)
        return context


class RestrictedDetailView(RestrictedMixin, DetailView):
    def get_object(self, queryset: Any = None) -> Any:
        obj = super().get_object(queryset)  # 404 when outside restrict()
        audit.record(self.request.user, AuditAction.VIEW, obj)
        return obj


class RestrictedWriteMixin(RestrictedMixin):
    """Create/update pages: the write and the scope re-check in one transaction."""

    def form_valid(self, form: Any) -> Any:
        with transaction.atomic():
            response = super().form_valid(form)  # type: ignore[misc]
            obj = self.object  # type: ignore[attr-defined]
            action = "change" if isinstance(self, UpdateView) else "add"
            if not type(obj).objects.restrict(self.request.user, action).filter(pk=obj.pk).exists():
                raise Http404
            audit.record(
                self.request.user,
                AuditAction.CHANGE if action == "change" else AuditAction.CREATE,
                obj,
            )
        return response


class RestrictedCreateView(RestrictedWriteMixin, CreateView):
    restrict_action = "add"


class RestrictedUpdateView(RestrictedWriteMixin, UpdateView):
    restrict_action = "change"
