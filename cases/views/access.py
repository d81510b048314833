"""Pages of the access topic: the case list, the case workspace shell, "why can I see this",
and the audit trails ("who saw this case", the agency's own trail with CSV export)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from cases.api.access import CaseSerializer, OffenderSerializer, _active_conditions
from cases.choices import CaseStatus, Sex
from cases.models import Case
from cases.services.access import (
    AuditFilters,
    agency_audit_trail,
    can_read_agency_audit,
    can_read_case_audit,
    case_audit_trail,
    explain,
)
from protocols.choices import SupervisionLevel
from sartcm.exports import csv_response
from sartcm.models import AuditAction, AuditOutcome
from sartcm.pages import RestrictedDetailView, RestrictedListView

# The workspace tabs, in order; each topic fills templates/cases/tabs/<topic>.html.
TABS = ("access", "assessments", "contacts", "release", "registration", "alerts")

CASE_QUERYSET = Case.objects.select_related(
    "offender", "lead_agency", "case_manager__user", "officer__user"
)


# choice fields shown with their labels on pages (the API keeps the codes)
CHOICES: dict[str, Any] = {"status": CaseStatus, "supervision_level": SupervisionLevel, "sex": Sex}


def labelled(data: dict[str, Any]) -> dict[str, Any]:
    result = dict(data)
    for name, choices in CHOICES.items():
        value = result.get(name)
        if value in choices.values:
            result[name] = choices(value).label
    return result


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def display(value: Any) -> str:
    """A serialized value as text (lists of conditions, aliases, convictions)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(display(v) for v in value) or "—"
    if isinstance(value, dict):
        if "statute" in value:
            return f"{value['statute']} {value.get('description', '')} ({value.get('conviction_date')})"
        return " ".join(str(v) for v in value.values() if v)
    return str(value)


class CaseRowsMixin:
    """Per-case field-limited data, computed once per page and reused by the template and the
    audit trail (the fields disclosed)."""

    request: HttpRequest

    def serialize(self, cases: list[Case]) -> None:
        context = {"request": self.request}
        status = CaseSerializer(cases, many=True, context=context).data
        self.rows: dict[int, dict[str, Any]] = {}
        for case, data in zip(cases, status, strict=True):
            identity = OffenderSerializer(case.offender, context={**context, "case": case}).data
            self.rows[case.pk] = {
                "status": labelled(data),
                "identity": labelled({k: v for k, v in identity.items() if k != "id"}),
            }

    def disclosed_fields(self, obj: Any) -> list[str]:
        row = getattr(self, "rows", {}).get(obj.pk, {})
        return sorted(
            [k for k in row.get("status", {}) if k not in ("id", "case_number")]
            + [f"offender.{k}" for k in row.get("identity", {})]
        )


class CaseListView(CaseRowsMixin, RestrictedListView):
    """Cases the user has standing on, showing only the fields they may see."""

    model = Case
    template_name = "cases/case_list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        queryset = (
            super()
            .get_queryset()
            .select_related("offender", "lead_agency", "case_manager__user", "officer__user")
        )
        queryset = queryset.prefetch_related(
            _active_conditions(), "offender__aliases", "offender__convictions"
        )
        query = self.request.GET.get("q", "").strip()
        if query:  # case numbers only: searching hidden fields would leak them
            queryset = queryset.filter(case_number__icontains=query)
        return queryset.order_by("case_number")

    def prepare_page(self, objects: list[Any]) -> None:
        super().prepare_page(objects)
        self.serialize(objects)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {
                "case": case,
                "name": display(
                    " ".join(
                        str(row["identity"][k])
                        for k in ("first_name", "last_name")
                        if row["identity"].get(k)
                    )
                )
                if row["identity"].get("last_name") or row["identity"].get("first_name")
                else "",
                "status": {k: display(v) for k, v in row["status"].items()},
            }
            for case in context["object_list"]
            for row in [self.rows[case.pk]]
        ]
        context["query"] = self.request.GET.get("q", "")
        return context


class CaseDetailView(CaseRowsMixin, RestrictedDetailView):
    """The case workspace: an overview with only the permitted status and identity fields,
    and one tab per topic (each tab restricts its own records)."""

    model = Case
    template_name = "cases/case_detail.html"
    context_object_name = "case"

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("offender", "lead_agency", "case_manager__user", "officer__user")
            .prefetch_related(_active_conditions(), "offender__aliases", "offender__convictions")
        )

    def prepare_page(self, objects: list[Any]) -> None:
        super().prepare_page(objects)
        self.serialize(objects)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row = self.rows[self.object.pk]
        context["status_fields"] = [
            (label(k), display(v))
            for k, v in row["status"].items()
            if k not in ("id", "case_number", "offender")
        ]
        context["identity_fields"] = [(label(k), display(v)) for k, v in row["identity"].items()]
        context["tabs"] = [f"cases/tabs/{tab}.html" for tab in TABS]
        context["explanation"] = explain(self.request.user, self.object)
        # A tab whose record type the viewer may not see is left out: its page would be a 404.
        context["hidden_record_types"] = {
            str(row.record_type) for row in context["explanation"].record_types if not row.visible
        }
        context["can_read_audit"] = can_read_case_audit(self.request.user, self.object)
        return context


def visible_case(request: HttpRequest, pk: int) -> Case:
    """The case if the user has standing on it (status view), else 404."""
    return get_object_or_404(CASE_QUERYSET.restrict(request.user, "view"), pk=pk)


class CaseAccessView(LoginRequiredMixin, View):
    """ "Why can I see this case (or not)?" — per record type, with the lead agency, the MOU
    term that grants standing, or what is missing or expired."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = visible_case(request, pk)
        return render(
            request,
            "cases/case_access.html",
            {"case": case, "explanation": explain(request.user, case)},
        )


class CaseAuditView(LoginRequiredMixin, View):
    """Who saw this case: its whole audit trail, for the lead agency's administrators and
    auditors only (404 for everyone else). Reading or exporting it is itself audited."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = visible_case(request, pk)
        if not can_read_case_audit(request.user, case):
            raise Http404
        action = request.GET.get("action", "")
        if action not in AuditAction.values:
            action = ""
        events = case_audit_trail(request.user, case, action=action)
        if request.GET.get("format") == "csv":
            return audit_csv(f"case-{case.case_number}-audit.csv", events[:50_000])
        page = Paginator(events, 100).get_page(request.GET.get("page"))
        return render(
            request,
            "cases/case_audit.html",
            {"case": case, "page": page, "actions": AuditAction.choices, "action": action},
        )


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    username = forms.CharField(required=False, max_length=150, label="User name")
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditAction.choices])
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditOutcome.choices])
    case_id = forms.IntegerField(required=False, min_value=1, label="Case id")
    about = forms.ChoiceField(
        required=False,
        choices=[("staff", "What our staff did"), ("cases", "Everything done on our cases")],
        label="Show",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)


class AgencyAuditView(LoginRequiredMixin, View):
    """The agency's own audit trail, filtered, with a CSV export; for administrators and
    auditors. Reading or exporting it is itself audited."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_read_agency_audit(request.user):
            raise PermissionDenied("Only agency administrators and auditors read the audit trail.")
        form = AuditFilterForm(request.GET or None)
        filters = AuditFilters()
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            filters = AuditFilters(
                date_from=data["date_from"],
                date_to=data["date_to"],
                username=data["username"],
                action=data["action"],
                case_id=data["case_id"],
                outcome=data["outcome"],
                about=data["about"] or "staff",
            )
        export = request.GET.get("format") == "csv"
        events = agency_audit_trail(request.user, filters, export=export)
        if export:
            return audit_csv("audit-trail.csv", events[:50_000])
        page = Paginator(events, 100).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "cases/audit_trail.html",
            {"form": form, "page": page, "query": query.urlencode()},
        )


AUDIT_COLUMNS = (
    "at",
    "username",
    "agency_id",
    "action",
    "outcome",
    "channel",
    "object_type",
    "object_id",
    "object_repr",
    "case_id",
    "recipient_agency_id",
    "fields",
    "detail",
    "source_address",
    "request_id",
)


def audit_csv(filename: str, events: Any) -> HttpResponse:
    """The audit rows as CSV, formula-safe (a user name or detail could start with '=')."""
    rows = (
        [
            event.at.isoformat(timespec="microseconds") if name == "at" else getattr(event, name)
            for name in AUDIT_COLUMNS
        ]
        for event in events.iterator()
    )
    return csv_response(filename, AUDIT_COLUMNS, rows)
