"""The ModelAdmin base every SARTCM admin uses: restrict() everywhere, 404s, audit.

The admin is an operations tool, but it is still a channel to the data, so it follows the
same rules as pages and the API (shared/access-model.md):
- Querysets (lists, change pages, inlines, autocomplete, raw-id lookups) are
  `Model.objects.restrict(user, action)` for everyone but superusers. A model whose manager
  has no `restrict()` shows nothing unless its admin says what "visible" means
  (`restrict_queryset`). Deny by default.
- Related-field choices are restricted the same way; a `case` choice on a case record offers
  only the cases where the user may add/change that record type.
- An object outside the user's scope answers 404, never "exists but forbidden".
- After a write, inside the admin's transaction, the object must still be in scope.
- Reads of case data (change pages, list rows) and every write are audited, superusers
  included.

Nothing here knows about a domain model: it asks the models (`RECORD_TYPE`, `restrict`,
`restrict_record`), so each app keeps its own policy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.db import models
from django.db.models import QuerySet
from django.forms import Select
from django.http import Http404, HttpRequest, HttpResponse

from sartcm import audit
from sartcm.models import AuditAction

ACTION_ATTR = "_sartcm_admin_action"


def is_case_data(model: type[models.Model]) -> bool:
    """Case data carries a record type (offenders, cases and everything on them)."""
    return hasattr(model, "RECORD_TYPE")


class RestrictedAdminMixin:
    """Shared by ModelAdmin and inlines (they restrict querysets and choices alike)."""

    # Foreign keys to reference data every staff member may pick (e.g. a training course).
    open_choices: tuple[str, ...] = ()

    model: type[models.Model]

    # --- querysets --------------------------------------------------------------------
    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        """What `request.user` may do `action` on. Override for models without restrict()."""
        if hasattr(queryset, "restrict"):
            return queryset.restrict(request.user, action)
        return queryset.none()

    def restricted(
        self, request: HttpRequest, queryset: QuerySet, action: str = "view"
    ) -> QuerySet:
        if request.user.is_superuser:  # type: ignore[union-attr]
            return queryset  # operations only; audited below like everyone else
        return self.restrict_queryset(request, queryset, action)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.restricted(request, super().get_queryset(request))  # type: ignore[misc]

    def in_scope(self, request: HttpRequest, obj: models.Model | None, action: str) -> bool:
        if obj is None or obj.pk is None or request.user.is_superuser:  # type: ignore[union-attr]
            return True
        queryset = self.restricted(request, type(obj)._default_manager.all(), action)
        return queryset.filter(pk=obj.pk).exists()

    # --- related-field choices --------------------------------------------------------
    def choice_queryset(
        self, request: HttpRequest, db_field: models.Field, queryset: QuerySet | None
    ) -> QuerySet | None:
        user = request.user
        if user.is_superuser:  # type: ignore[union-attr]
            return queryset
        related = db_field.related_model
        base = queryset if queryset is not None else related._default_manager.all()  # type: ignore[union-attr]
        if hasattr(base, "restrict_record") and is_case_data(self.model):
            # The cases where this user may add (or change) this record type.
            action = getattr(request, ACTION_ATTR, "add")
            return base.restrict_record(user, action, self.model.RECORD_TYPE)  # type: ignore[attr-defined]
        if hasattr(base, "restrict"):
            return base.restrict(user, "view")
        if db_field.name in self.open_choices:
            return base
        return base.none()

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        queryset = self.choice_queryset(request, db_field, kwargs.get("queryset"))
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        queryset = self.choice_queryset(request, db_field, kwargs.get("queryset"))
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    # --- object permissions ----------------------------------------------------------
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(  # type: ignore[misc]
            request, obj, "view"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(  # type: ignore[misc]
            request, obj, "change"
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(  # type: ignore[misc]
            request, obj, "change"
        )


class RestrictedInline(RestrictedAdminMixin):
    """Inline rows of a child that has its own `case` key: the parent's case is copied."""

    extra = 0
    show_change_link = True
    inline_select_related: tuple[str, ...] = ()  # what each row's __str__ / read-only fields need

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return (
            queryset.select_related(*self.inline_select_related)
            if self.inline_select_related
            else queryset
        )

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        setattr(request, ACTION_ATTR, "change" if obj is not None else "add")
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Every inline row would otherwise re-run the (restricted) choices query: evaluate it
        # once per request. Validation still goes through the field's restricted queryset.
        widget = getattr(formfield, "widget", None)
        widget = getattr(widget, "widget", widget)  # inside a RelatedFieldWidgetWrapper
        if isinstance(widget, Select) and not isinstance(widget, AutocompleteMixin):
            cache = request.__dict__.setdefault("_sartcm_inline_choices", {})
            key = (self.model, db_field.name)
            if key not in cache:
                cache[key] = list(formfield.choices)
            formfield.choices = cache[key]
        return formfield


class RestrictedTabularInline(RestrictedInline, admin.TabularInline):
    pass


class RestrictedStackedInline(RestrictedInline, admin.StackedInline):
    pass


class RestrictedModelAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    """Base ModelAdmin: restricted, 404 for the invisible, writes re-checked and audited."""

    show_full_result_count = False  # no second COUNT(*) over big tables
    list_per_page = 50

    @property
    def audit_reads(self) -> bool:
        return is_case_data(self.model)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        setattr(request, ACTION_ATTR, "change" if obj is not None else "add")
        return super().get_form(request, obj, change, **kwargs)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Missing and out-of-scope look the same: 404, never a hint that the row exists.
        raise Http404

    # --- reads --------------------------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and self.audit_reads and response.status_code == 200:
            obj = getattr(response, "context_data", {}).get("original")
            if obj is not None:
                audit.record(request.user, AuditAction.VIEW, obj, detail="admin change page")
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if self.audit_reads and changelist is not None:
            rows = list(changelist.result_list)  # evaluated once; the template reuses it
            if rows:
                audit.record_reads(request.user, AuditAction.LIST, rows)
        return response

    # --- writes -------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Inside the admin's transaction: a write that lands outside the user's scope is
        # undone (404 rolls the whole change back).
        if not self.in_scope(request, obj, "change" if change else "add"):
            raise Http404
        audit.record(
            request.user,
            AuditAction.CHANGE if change else AuditAction.CREATE,
            obj,
            fields=form.changed_data,
            detail="admin",
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        parent = form.instance
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit.record(request.user, AuditAction.DELETE, obj, detail="admin inline")
            obj.delete()
        for obj in instances:
            # Children carry their own `case` key (restrict() joins on it); copy the parent's.
            if (
                hasattr(obj, "case_id")
                and obj.case_id is None
                and "case" not in formset.form.base_fields
            ):
                obj.case_id = parent.pk if parent._meta.model_name == "case" else parent.case_id
            created = obj.pk is None
            obj.save()
            audit.record(
                request.user,
                AuditAction.CREATE if created else AuditAction.CHANGE,
                obj,
                detail="admin inline",
            )
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(request.user, AuditAction.DELETE, obj, detail="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            audit.record(request.user, AuditAction.DELETE, obj, detail="admin bulk delete")
        super().delete_queryset(request, queryset)


class ReadOnlyAdminMixin:
    """Derived or append-only data: nobody adds, changes or deletes it here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def reference_for_staff(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Statewide reference data: every active staff member may read it."""
    staff = getattr(request.user, "staff", None)  # None when the user has no staff row
    return queryset if staff is not None and staff.active else queryset.none()
