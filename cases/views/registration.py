"""Registration pages: the registry officer's work list, a registration, and its forms.

Every read goes through restrict() (404 for what the user may not see); every write goes
through cases.services.registration; only allow-listed fields are rendered.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from agencies.choices import RecordType
from agencies.models import Agency
from cases.access import allowed_fields, prefetch_assignments
from cases.choices import RegistrationEventKind, VerificationResult
from cases.models import AddressVerification, RegistrationEvent, RegistrationRecord
from cases.services import registration as svc
from protocols.choices import Tier
from sartcm import audit
from sartcm.models import AuditAction
from sartcm.pages import RestrictedDetailView

REG = RecordType.REGISTRATION


# --- forms --------------------------------------------------------------------------------


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes; errors are rendered next to each field by the template."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def apply_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to the fields it names."""
        for name, messages_ in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages_)


class DateInput(forms.DateInput):
    input_type = "date"


PERIOD_CHOICES = [
    ("", "From the schedule (15 / 25 years / life by tier)"),
    ("15", "15 years"),
    ("25", "25 years"),
    ("life", "Life"),
]


class RegistrationForm(BootstrapForm):
    registering_agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    tier = forms.ChoiceField(choices=Tier.choices)
    jurisdiction = forms.CharField(max_length=100)
    start_date = forms.DateField(widget=DateInput)
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)
    custody_days_excluded = forms.IntegerField(
        min_value=0, initial=0, help_text="Days in custody do not count toward the period."
    )
    juvenile = forms.BooleanField(required=False, label="Adjudicated as a juvenile")
    transient = forms.BooleanField(required=False, label="Transient / homeless")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # related-field choices go through restrict() like everything else
        field = self.fields["registering_agency"]
        field.queryset = Agency.objects.restrict(user, "view").active()  # type: ignore[attr-defined]


class EventForm(BootstrapForm):
    kind = forms.ChoiceField(choices=RegistrationEventKind.choices)
    changed_on = forms.DateField(widget=DateInput, help_text="When the change happened.")
    reported_on = forms.DateField(widget=DateInput, help_text="When it was reported in person.")
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class VerificationForm(BootstrapForm):
    verified_on = forms.DateField(widget=DateInput)
    address = forms.CharField(max_length=300)
    result = forms.ChoiceField(choices=VerificationResult.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class StatusForm(BootstrapForm):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in svc.PERSON_SET_STATUSES],
        help_text="'Compliant' hands the status back to the verification calendar.",
    )
    reason = forms.CharField(max_length=300)


# --- pages --------------------------------------------------------------------------------


def _rows(user: Any, records: list[RegistrationRecord]) -> list[dict[str, Any]]:
    prefetch_assignments(user, [r.case_id for r in records])
    return [{"record": r, "allowed": allowed_fields(user, r.case, REG)} for r in records]


class RegistrationWorkListView(LoginRequiredMixin, TemplateView):
    """The registry officer's work list: verifications due this week, overdue, failed checks."""

    template_name = "cases/registration/worklist.html"
    limit = 200

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        work = svc.work_list(user, today)
        sections = []
        shown: list[RegistrationRecord] = []
        for key, title, queryset in (
            ("due", "Due this week", work.due_this_week),
            ("overdue", "Overdue", work.overdue),
            ("failed", "Failed address checks and absconder review", work.failed_checks),
        ):
            records = list(queryset[: self.limit])
            shown += records
            sections.append({"key": key, "title": title, "rows": _rows(user, records)})
        audit.record_reads(user, AuditAction.LIST, {r.pk: r for r in shown}.values())
        context.update(sections=sections, today=today)
        return context


class RegistrationDetailView(RestrictedDetailView):
    """One registration: the fields, reports and checks the viewer may see, and forms."""

    model = RegistrationRecord
    template_name = "cases/registration/detail.html"
    context_object_name = "registration"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("case", "case__offender", "registering_agency")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        record: RegistrationRecord = self.object
        allowed = allowed_fields(user, record.case, REG)
        events = verifications = None
        if "events" in allowed:
            events = list(
                RegistrationEvent.objects.restrict(user, "view")
                .filter(registration=record)
                .select_related("recorded_by__user")
            )
        if "verifications" in allowed:
            verifications = list(
                AddressVerification.objects.restrict(user, "view")
                .filter(registration=record)
                .select_related("officer__user")
            )
        can_add = RegistrationRecord.objects.restrict(user, "add").filter(pk=record.pk).exists()
        can_change = (
            RegistrationRecord.objects.restrict(user, "change").filter(pk=record.pk).exists()
        )
        context.update(
            allowed=allowed,
            events=events,
            verifications=verifications,
            can_add=can_add and record.status != "ended",
            can_change=can_change and record.status != "ended",
            reducible_to=svc.juvenile_reducible_to(record),
        )
        return context


class CaseRegistrationListView(LoginRequiredMixin, TemplateView):
    """A case's registrations (the registration tab links here)."""

    template_name = "cases/registration/case_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        case = svc.access_case_for_registration(user, kwargs["case_pk"], "view")
        records = list(
            RegistrationRecord.objects.restrict(user, "view")
            .filter(case=case)
            .select_related("case", "registering_agency")
            .order_by("-start_date")
        )
        audit.record_reads(user, AuditAction.LIST, records)
        context.update(
            case=case, rows=_rows(user, records), can_add=_can_add_to_case(user, case.pk)
        )
        return context


def _can_add_to_case(user: Any, case_pk: int) -> bool:
    from cases.models import Case

    return Case.objects.restrict_record(user, "add", REG).filter(pk=case_pk).exists()


class FormPage(LoginRequiredMixin, View):
    """GET shows the form; POST calls the service and redirects, or shows errors in place."""

    form_class: type[BootstrapForm]
    title = ""
    submit = "Save"

    def target(self) -> Any:
        raise NotImplementedError

    def make_form(self, data: Any = None) -> BootstrapForm:
        return self.form_class(data=data)

    def perform(self, form: BootstrapForm, target: Any) -> str:
        raise NotImplementedError

    def page(self, form: BootstrapForm, target: Any) -> HttpResponse:
        return render(
            self.request,
            "cases/registration/form.html",
            {
                "form": form,
                "title": self.title,
                "submit": self.submit,
                "target": target,
                "back": self.back(target),
            },
            status=400 if form.is_bound else 200,
        )

    def back(self, target: Any) -> str:
        return reverse("cases:registration-detail", args=[target.pk])

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.page(self.make_form(), self.target())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        target = self.target()
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                url = self.perform(form, target)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                return HttpResponseRedirect(url)
        return self.page(form, target)


class RegistrationCreateView(FormPage):
    """Register a case's offender in a jurisdiction."""

    form_class = RegistrationForm
    title = "New registration"
    submit = "Register"

    def target(self) -> Any:
        return svc.access_case_for_registration(self.request.user, self.kwargs["case_pk"], "add")

    def make_form(self, data: Any = None) -> BootstrapForm:
        return RegistrationForm(data=data, user=self.request.user)

    def back(self, target: Any) -> str:
        return reverse("cases:registration-case", args=[target.pk])

    def perform(self, form: BootstrapForm, target: Any) -> str:
        data = form.cleaned_data
        period: Any = svc.UNSET
        if data["period"] == "life":
            period = None
        elif data["period"]:
            period = int(data["period"])
        record = svc.register(
            self.request.user,
            case=target,
            registering_agency=data["registering_agency"],
            tier=data["tier"],
            jurisdiction=data["jurisdiction"],
            start_date=data["start_date"],
            period_years=period,
            custody_days_excluded=data["custody_days_excluded"],
            juvenile=data["juvenile"],
            transient=data["transient"],
        )
        messages.success(self.request, "Registration opened.")
        return reverse("cases:registration-detail", args=[record.pk])


class EventCreateView(FormPage):
    """Record a report by the registrant (periodic verification or a change)."""

    form_class = EventForm
    title = "Record a report"
    submit = "Record report"

    def target(self) -> Any:
        return svc.access_registration(self.request.user, self.kwargs["pk"], "add")

    def make_form(self, data: Any = None) -> BootstrapForm:
        today = timezone.localdate()
        return EventForm(data=data, initial={"changed_on": today, "reported_on": today})

    def perform(self, form: BootstrapForm, target: Any) -> str:
        event = svc.record_event(self.request.user, target, **form.cleaned_data)
        if event.late:
            messages.warning(self.request, f"Reported late: it was due by {event.due_by:%Y-%m-%d}.")
        else:
            messages.success(self.request, "Report recorded.")
        return reverse("cases:registration-detail", args=[target.pk])


class VerificationCreateView(FormPage):
    """Record an address verification visit."""

    form_class = VerificationForm
    title = "Record an address verification"
    submit = "Record check"

    def target(self) -> Any:
        return svc.access_registration(self.request.user, self.kwargs["pk"], "add")

    def make_form(self, data: Any = None) -> BootstrapForm:
        return VerificationForm(data=data, initial={"verified_on": timezone.localdate()})

    def perform(self, form: BootstrapForm, target: Any) -> str:
        check = svc.record_verification(self.request.user, target, **form.cleaned_data)
        if check.failed:
            messages.warning(self.request, "Check failed: absconder review has started.")
        else:
            messages.success(self.request, "Address verified.")
        return reverse("cases:registration-detail", args=[target.pk])


class StatusChangeView(FormPage):
    """A registry officer's status decision (absconder review, absconded, ended, compliant)."""

    form_class = StatusForm
    title = "Change registration status"
    submit = "Change status"

    def target(self) -> Any:
        return svc.access_registration(self.request.user, self.kwargs["pk"], "change")

    def perform(self, form: BootstrapForm, target: Any) -> str:
        svc.set_status(self.request.user, target, **form.cleaned_data)
        messages.success(self.request, "Status changed.")
        return reverse("cases:registration-detail", args=[target.pk])
