"""The alert inbox: filter, acknowledge, resolve with a note.

Alerts come through Alert.objects.restrict (assigned or escalated to me; my agency's if I am a
supervisor; case alerts where my agency has standing). Each alert's text is rendered for the
reader from their field allow-list.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from agencies.querysets import staff_of
from cases.alerts import services
from cases.alerts.notify import alert_text, prepare
from cases.choices import AlertStatus
from cases.models import Alert
from protocols.choices import AlertRuleCode
from sartcm.pages import RestrictedListView

STATUS_FILTERS = [
    ("active", "Open and acknowledged"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
    ("all", "All"),
]


class InboxFilterForm(forms.Form):
    rule = forms.ChoiceField(choices=[("", "Any rule"), *AlertRuleCode.choices], required=False)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    case = forms.CharField(required=False, max_length=30, label="Case number")
    scope = forms.ChoiceField(
        choices=[("mine", "Assigned or escalated to me"), ("all", "Everything I can see")],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="How was it resolved? Kept with the alert and in the audit trail.",
    )


def filter_alerts(queryset: QuerySet, data: dict[str, Any], staff: Any) -> QuerySet:
    """Apply the inbox filters (on an already restricted queryset)."""
    status = data.get("status") or "active"
    if status == "active":
        queryset = queryset.exclude(status=AlertStatus.RESOLVED)
    elif status != "all":
        queryset = queryset.filter(status=status)
    if data.get("rule"):
        queryset = queryset.filter(rule=data["rule"])
    if data.get("case"):
        queryset = queryset.filter(case__case_number__iexact=data["case"].strip())
    if (data.get("scope") or "mine") == "mine" and staff is not None:
        queryset = queryset.filter(Q(assignee=staff) | Q(escalated_to=staff))
    return queryset


class AlertInboxView(RestrictedListView):
    """The inbox: alerts for me (or all I can see), filtered by rule, status and case."""

    model = Alert
    template_name = "cases/alerts/inbox.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        self.filter_form = InboxFilterForm(self.request.GET or None)
        data = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        queryset = (
            super()
            .get_queryset()
            .select_related("case", "assignee__user", "escalated_to__user", "agency")
        )
        return filter_alerts(queryset, data, staff_of(self.request.user)).order_by(
            "status", "due_date", "pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        alerts = list(context["object_list"])
        prepare(alerts, user)
        context["rows"] = [
            {
                "alert": alert,
                "text": alert_text(alert, user),
                "can_act": services.can_act(user, alert),
            }
            for alert in alerts
        ]
        context["filter_form"] = self.filter_form
        context["query"] = self.request.GET.urlencode()
        return context


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:alert-inbox")


class AlertAcknowledgeView(LoginRequiredMixin, View):
    """POST: acknowledge an alert (stops its escalation)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = services.access_alert(request.user, pk)
        try:
            services.acknowledge(request.user, alert)  # PermissionDenied → 403
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Alert acknowledged.")
        return HttpResponseRedirect(_back(request))


class AlertResolveView(LoginRequiredMixin, View):
    """GET: the resolve form; POST: resolve the alert with a note."""

    template_name = "cases/alerts/resolve.html"

    def page(self, request: HttpRequest, alert: Alert, form: ResolveForm) -> HttpResponse:
        prepare([alert], request.user)
        return render(
            request,
            self.template_name,
            {
                "alert": alert,
                "text": alert_text(alert, request.user),
                "form": form,
                "next": _back(request),
            },
            status=400 if form.is_bound else 200,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = services.access_alert(request.user, pk)
        if not services.can_act(request.user, alert):
            raise PermissionDenied
        return self.page(request, alert, ResolveForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = services.access_alert(request.user, pk)
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                services.resolve(request.user, alert, form.cleaned_data["note"])
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error("note" if name == "note" else None, errors)
            else:
                messages.success(request, "Alert resolved.")
                return HttpResponseRedirect(_back(request))
        return self.page(request, alert, form)
