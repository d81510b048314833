"""Admin for MOUs, their parties, signatures and data-sharing terms.

Status, activation and term versions are changed through the MOU services (which sync the
grants); here they are read-only for everyone but superusers (operations).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from mou.models import MOU, DataSharingTerm, MOUParty, Signature
from sartcm.admin_base import RestrictedModelAdmin, RestrictedTabularInline


def through_mou(request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
    """Rows of MOUs the user may see (parties, signatures)."""
    return queryset.filter(mou__in=MOU.objects.restrict(request.user, action).values("pk"))


class PartyInline(RestrictedTabularInline):
    model = MOUParty
    inline_select_related = ("agency", "signatory__user")
    fields = ("agency", "signatory")
    raw_id_fields = ("signatory",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return through_mou(request, queryset, action)


class SignatureInline(RestrictedTabularInline):
    model = Signature
    inline_select_related = ("agency", "signed_by__user")
    fields = ("agency", "signed_by", "terms_version", "signed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return through_mou(request, queryset, action)


class TermInline(RestrictedTabularInline):
    model = DataSharingTerm
    inline_select_related = ("provider", "recipient")
    fields = (
        "provider",
        "recipient",
        "record_type",
        "fields",
        "actions",
        "scope",
        "version",
        "superseded_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if request.user.is_superuser else self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, obj)


@admin.register(MOU)
class MOUAdmin(RestrictedModelAdmin):
    list_display = ("title", "status", "effective_date", "expiration_date", "party_names", "signed")
    list_filter = ("status", "effective_date", "expiration_date")
    search_fields = ("title", "purpose", "parties__name", "parties__short_name")
    date_hierarchy = "effective_date"
    inlines = (PartyInline, SignatureInline, TermInline)
    autocomplete_fields = ("drafted_by",)
    protected_fields = ("status", "terms_version", "activated_at", "ended_at", "termination_reason")
    readonly_fields = ("created_by", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("parties")
            .annotate(
                signature_count=Count("signatures", distinct=True),
                party_count=Count("party_rows", distinct=True),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, *self.protected_fields)

    @admin.display(description="parties")
    def party_names(self, obj: MOU) -> str:
        return ", ".join(sorted(agency.short_name for agency in obj.parties.all()))

    @admin.display(description="signatures")
    def signed(self, obj: MOU) -> str:
        return f"{obj.signature_count}/{obj.party_count}"  # type: ignore[attr-defined]


@admin.register(MOUParty)
class MOUPartyAdmin(RestrictedModelAdmin):
    list_display = ("mou", "agency", "signatory")
    list_select_related = ("mou", "agency", "signatory__user")
    search_fields = ("mou__title", "agency__name", "agency__short_name")
    raw_id_fields = ("mou", "signatory")

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return through_mou(request, queryset, action)


@admin.register(Signature)
class SignatureAdmin(RestrictedModelAdmin):
    list_display = ("mou", "agency", "signed_by", "terms_version", "signed_at")
    list_select_related = ("mou", "agency", "signed_by__user")
    search_fields = ("mou__title", "agency__short_name")
    date_hierarchy = "signed_at"
    readonly_fields = ("mou", "agency", "signed_by", "terms_version", "signed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # signing goes through the MOU service (it checks the signatory)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return through_mou(request, queryset, action)


class CurrentFilter(admin.SimpleListFilter):
    title = "version"
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Current"), ("no", "Superseded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(superseded_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(superseded_at__isnull=False)
        return queryset


@admin.register(DataSharingTerm)
class DataSharingTermAdmin(RestrictedModelAdmin):
    list_display = (
        "mou",
        "provider",
        "recipient",
        "record_type",
        "scope",
        "actions",
        "version",
        "superseded_at",
    )
    list_filter = (CurrentFilter, "record_type", "scope", "mou__status")
    list_select_related = ("mou", "provider", "recipient")
    search_fields = ("mou__title", "provider__short_name", "recipient__short_name")
    raw_id_fields = ("mou",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Amending terms makes a new version (mou services); old versions stay as history.
        if request.user.is_superuser:
            return ()
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]
