"""Base classes for pages: restrict() on every read, 404 for the invisible, audited reads.

    class ContactList(RestrictedListView):
        model = SupervisionContact

A page view never filters by agency itself; it asks the model's queryset. Reads of case data
(models with a RECORD_TYPE) are audited, and a read by an agency other than the case's lead
agency is also recorded as a dissemination. Forms of write pages get their related-field
choices restricted too (no picking another agency's case).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.forms import ModelChoiceField
from django.http import Http404
from django.views.generic import DetailView, ListView
from django.views.generic.edit import CreateView, UpdateView

from sartcm import audit
from sartcm.models import AuditAction


def is_case_data(model: Any) -> bool:
    return bool(getattr(model, "RECORD_TYPE", None))


class RestrictedMixin(LoginRequiredMixin):
    """`get_queryset` = model.objects.restrict(user, action)."""

    restrict_action = "view"

    def get_queryset(self) -> Any:
        base = super().get_queryset()  # type: ignore[misc]
        return base.restrict(self.request.user, self.restrict_action)  # type: ignore[attr-defined]

    def disclosed_fields(self, obj: Any) -> Iterable[str]:
        """Fields of `obj` this page shows (for the audit trail); override where known."""
        return ()

    def audit_case_ids(self, obj: Any) -> list[int] | None:
        """Cases through which `obj` is disclosed (default: its own case)."""
        return None

    def prepare_page(self, objects: list[Any]) -> None:
        """Before rendering/auditing: load case-team membership for every case of the page in
        one query (field allow-lists then cost the same for 5 rows as for 50). Subclasses that
        compute per-row field data extend this."""
        from cases.access import prefetch_assignments

        case_lists, self._page_case_owners = audit.page_cases(objects, self.audit_case_ids)
        case_ids = sorted({cid for ids in case_lists for cid in ids})
        if case_ids:
            prefetch_assignments(self.request.user, case_ids, self._page_case_owners)  # type: ignore[attr-defined]

    def audit_disclosure(self, action: str, objects: list[Any]) -> None:
        """Audit the read of `objects`, and disseminations to a non-lead agency."""
        if not objects or not is_case_data(type(objects[0])):
            return
        user = self.request.user  # type: ignore[attr-defined]
        fields = [list(self.disclosed_fields(obj)) for obj in objects]
        audit.record_disclosure(
            user,
            action,
            objects,
            fields_by_object=fields,
            case_ids_by_object=[self.audit_case_ids(obj) for obj in objects],
            known_owners=getattr(self, "_page_case_owners", None),
        )


class RestrictedListView(RestrictedMixin, ListView):
    paginate_by = 50
    audit_action = AuditAction.LIST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objects = list(context["object_list"])
        self.prepare_page(objects)
        self.audit_disclosure(self.audit_action, objects)
        return context


class RestrictedDetailView(RestrictedMixin, DetailView):
    def get_object(self, queryset: Any = None) -> Any:
        obj = super().get_object(queryset)  # 404 when outside restrict()
        self.prepare_page([obj])
        if is_case_data(type(obj)):
            self.audit_disclosure(AuditAction.VIEW, [obj])
        else:
            audit.record(self.request.user, AuditAction.VIEW, obj)
        return obj


class RestrictedWriteMixin(RestrictedMixin):
    """Create/update pages: the write and the scope re-check in one transaction.

    Every model-choice field whose queryset can `restrict()` offers only what the user may
    `choice_action` (default view); a form that picks a case to add to should narrow further
    (e.g. `Case.objects.restrict_record(user, "add", "contacts")`) in `get_form`.
    """

    choice_action = "view"

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)  # type: ignore[misc]
        user = self.request.user  # type: ignore[attr-defined]
        for field in form.fields.values():
            queryset = getattr(field, "queryset", None)
            if isinstance(field, ModelChoiceField) and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, self.choice_action)
        return form

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
