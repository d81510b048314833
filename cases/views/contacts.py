"""Pages for supervision contacts, contact-standard compliance, treatment and polygraph.

- My caseload: the officer's / case manager's cases, what is due first (overdue first).
- A case's contacts tab: compliance at a glance (each requirement: status, last contact, next
  due) and the contact list; the contact log form (mobile first).
- A case's treatment tab (enrollments with monthly reports) and polygraph tab.

Every page resolves its case through `Case.objects.restrict_record(user, action, record_type)`
(404 outside) and lists child records through `Model.objects.restrict(user, 'view')`; the
templates render only the fields in `allowed_fields(user, case, record_type)`. Writes go through
the services in cases/services/ (validation, one transaction, scope re-check, audit).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView

from agencies.choices import RecordType
from agencies.querysets import staff_of
from cases.access import allowed_fields, prefetch_assignments
from cases.compliance import case_compliance, caseload_compliance, today
from cases.forms.contacts import (
    DischargeForm,
    PolygraphExamForm,
    SupervisionContactForm,
    TreatmentEnrollmentForm,
    TreatmentReportForm,
    apply_service_errors,
)
from cases.models import (
    Case,
    CaseAssignment,
    PolygraphExam,
    SupervisionContact,
    TreatmentEnrollment,
    TreatmentReport,
)
from cases.services.contacts import log_contact
from cases.services.treatment import (
    add_treatment_report,
    discharge_from_treatment,
    enroll_in_treatment,
    may_report_on,
    record_polygraph,
)
from sartcm.pages import RestrictedListView
from sartcm.querysets import EqualsAny

R = RecordType
POLYGRAPH_REQUIRED = ("exam_type", "exam_date", "examiner", "result")


def offender_names(user: Any, cases: list[Case]) -> dict[int, str]:
    """The offender's name per case, where the user may see identity and the name fields
    (a constant number of queries for any number of cases)."""
    ids = [case.pk for case in cases]
    if not ids:
        return {}
    visible = set(
        Case.objects.restrict_record(user, "view", R.IDENTITY)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    prefetch_assignments(user, ids)
    names: dict[int, str] = {}
    for case in cases:
        if case.pk in visible:
            fields = allowed_fields(user, case, R.IDENTITY)
            parts = [getattr(case.offender, f) for f in ("first_name", "last_name") if f in fields]
            names[case.pk] = " ".join(parts)
    return names


def cases_where(user: Any, action: str, record_type: str, ids: list[int]) -> set[int]:
    """Which of `ids` the user may do `action` on `record_type` for (one query)."""
    return set(
        Case.objects.restrict_record(user, action, record_type)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


class CaseloadView(RestrictedListView):
    """My caseload: cases I manage or supervise or am on the team of, whose contacts I may see,
    sorted by the earliest next-due date (overdue first), with a badge per requirement."""

    model = Case
    template_name = "cases/contacts/caseload.html"
    paginate_by = 50

    @cached_property
    def on(self) -> date:
        return today()

    def get_queryset(self) -> Any:
        user = self.request.user
        staff = staff_of(user)
        if staff is None:
            return []
        # The caseload's ids: a UNION of three index scans (managed, supervised, on the team),
        # handed over as `id = ANY(ARRAY(...))`. As an OR of the three (or `id IN (UNION)`) the
        # planner could not estimate it and scanned every case the agency may see (80,000 on
        # the statewide dataset, ≈55 ms); as an array it looks the cases up by primary key.
        on_team = CaseAssignment.objects.filter(staff=staff, end_date__isnull=True)
        ids = (
            Case.objects.unrestricted()
            .filter(case_manager=staff)
            .values("pk")
            .union(
                Case.objects.unrestricted().filter(officer=staff).values("pk"),
                on_team.values("case_id"),
            )
        )
        mine = (
            Case.objects.restrict_record(user, "view", R.CONTACTS)
            .open()
            .filter(EqualsAny(F("pk"), ArraySubquery(ids)))
        )
        # One query for the whole caseload's compliance; sorting needs all of it.
        self.compliance = caseload_compliance(mine, self.on)
        rows = list(mine.select_related("offender").order_by())  # sorted below

        def next_due(case: Case) -> tuple[date, str]:
            dues = [s.due_date for s in self.compliance.get(case.pk, [])]
            return (min(dues) if dues else date.max, case.case_number)

        rows.sort(key=next_due)
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page = list(context["object_list"])
        ids = [case.pk for case in page]
        names = offender_names(user, page)
        can_add = cases_where(user, "add", R.CONTACTS, ids)
        context["rows"] = [
            {
                "case": case,
                "name": names.get(case.pk, ""),
                "statuses": self.compliance.get(case.pk, []),
                "next_due": min(
                    (s.due_date for s in self.compliance.get(case.pk, [])), default=None
                ),
                "problem": any(s.is_problem for s in self.compliance.get(case.pk, [])),
                "can_add": case.pk in can_add,
            }
            for case in page
        ]
        context["on"] = self.on
        return context


class CaseScopedMixin(LoginRequiredMixin):
    """The case named by `case_pk`, within restrict_record(user, case_action, record_type)."""

    record_type: str = R.CONTACTS
    case_action = "view"
    tab = "contacts"
    kwargs: dict[str, Any]
    request: Any

    @cached_property
    def case(self) -> Case:
        cases = Case.objects.restrict_record(
            self.request.user, self.case_action, self.record_type
        ).select_related("offender", "lead_agency", "officer__user", "case_manager__user")
        return get_object_or_404(cases, pk=self.kwargs["case_pk"])

    @cached_property
    def allowed(self) -> frozenset[str]:
        return allowed_fields(self.request.user, self.case, self.record_type)

    def case_context(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "offender_name": offender_names(self.request.user, [self.case]).get(self.case.pk, ""),
            "fields": self.allowed,
            "active_tab": self.tab,
        }


class CaseContactsView(CaseScopedMixin, RestrictedListView):
    """A case's contacts tab: compliance with each requirement and the contact list."""

    model = SupervisionContact
    template_name = "cases/contacts/case_contacts.html"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(case=self.case).select_related("officer__user")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(self.case_context())
        context["compliance"] = case_compliance(self.case, today())
        context["can_add"] = bool(cases_where(user, "add", R.CONTACTS, [self.case.pk]))
        return context


class ServiceFormView(CaseScopedMixin, FormView):
    """A form whose valid data goes to a service; service errors land next to the fields."""

    success_message = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.case_context())
        return context

    def perform(self, form: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.perform(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())


class ContactCreateView(ServiceFormView):
    """Log a contact (mobile first). The fields offered are those the agency may write."""

    form_class = SupervisionContactForm
    template_name = "cases/contacts/contact_form.html"
    case_action = "add"
    success_message = "Contact logged."

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        required = ("contact_type", "contact_at")
        if request.user.is_authenticated and not all(f in self.allowed for f in required):
            raise Http404  # a partner whose terms do not cover the contact itself
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "allowed": self.allowed}

    def perform(self, form: Any) -> Any:
        user = self.request.user
        return log_contact(self.case, staff_of(user), form.cleaned_data, user)

    def get_success_url(self) -> str:
        if self.request.GET.get("next") == "caseload":
            return reverse("cases:caseload")
        return reverse("cases:case-contacts", kwargs={"case_pk": self.case.pk})


# --- treatment -----------------------------------------------------------------------------


class CaseTreatmentView(CaseScopedMixin, RestrictedListView):
    """A case's treatment tab: enrollments with their monthly progress reports."""

    model = TreatmentEnrollment
    record_type = R.TREATMENT
    tab = "treatment"
    template_name = "cases/treatment/case_treatment.html"
    paginate_by = 20

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(case=self.case).select_related("provider")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(self.case_context())
        enrollments = list(context["object_list"])
        reports: dict[int, list[TreatmentReport]] = {}
        if "reports" in self.allowed:
            for report in (
                TreatmentReport.objects.restrict(user, "view")
                .filter(enrollment__in=[e.pk for e in enrollments])
                .select_related("author__user")
            ):
                reports.setdefault(report.enrollment_id, []).append(report)
        can_add = bool(cases_where(user, "add", R.TREATMENT, [self.case.pk]))
        can_change = bool(cases_where(user, "change", R.TREATMENT, [self.case.pk]))
        for enrollment in enrollments:
            enrollment.case = self.case  # for may_report_on without another query
        context["enrollments"] = [
            {
                "enrollment": e,
                "reports": reports.get(e.pk, []),
                "can_report": can_add and "reports" in self.allowed and may_report_on(user, e),
                "can_discharge": can_change and e.discharge_status == "active",
            }
            for e in enrollments
        ]
        context["can_enroll"] = can_add and all(
            f in self.allowed for f in ("provider_name", "program", "intake_date")
        )
        return context


class EnrollmentCreateView(ServiceFormView):
    """Enroll the person with a treatment provider."""

    form_class = TreatmentEnrollmentForm
    template_name = "cases/treatment/enrollment_form.html"
    record_type = R.TREATMENT
    case_action = "add"
    tab = "treatment"
    success_message = "Treatment enrollment recorded."

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form: Any) -> Any:
        return enroll_in_treatment(self.case, form.cleaned_data, self.request.user)

    def get_success_url(self) -> str:
        return reverse("cases:case-treatment", kwargs={"case_pk": self.case.pk})


class EnrollmentScopedMixin:
    """The enrollment named by `enrollment_pk` on the case, within restrict(user, action)."""

    enrollment_action = "view"
    kwargs: dict[str, Any]
    request: Any
    case: Case

    @cached_property
    def enrollment(self) -> TreatmentEnrollment:
        enrollments = TreatmentEnrollment.objects.restrict(
            self.request.user, self.enrollment_action
        ).select_related("provider")
        enrollment = get_object_or_404(
            enrollments, pk=self.kwargs["enrollment_pk"], case_id=self.case.pk
        )
        enrollment.case = self.case
        return enrollment

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["enrollment"] = self.enrollment
        return context


class EnrollmentDischargeView(EnrollmentScopedMixin, ServiceFormView):
    """Record how treatment ended."""

    form_class = DischargeForm
    template_name = "cases/treatment/discharge_form.html"
    record_type = R.TREATMENT
    case_action = "change"
    enrollment_action = "change"
    tab = "treatment"
    success_message = "Discharge recorded."

    def perform(self, form: Any) -> Any:
        return discharge_from_treatment(self.enrollment, form.cleaned_data, self.request.user)

    def get_success_url(self) -> str:
        return reverse("cases:case-treatment", kwargs={"case_pk": self.case.pk})


class TreatmentReportCreateView(EnrollmentScopedMixin, ServiceFormView):
    """The provider's monthly progress report (under its MOU term's `add`)."""

    form_class = TreatmentReportForm
    template_name = "cases/treatment/report_form.html"
    record_type = R.TREATMENT
    case_action = "add"
    enrollment_action = "add"
    tab = "treatment"
    success_message = "Progress report added."

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and (
            "reports" not in self.allowed or not may_report_on(request.user, self.enrollment)
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        # Reports usually cover the month just ended.
        return {"month": (today().replace(day=1) - timedelta(days=1)).replace(day=1)}

    def perform(self, form: Any) -> Any:
        return add_treatment_report(self.enrollment, form.cleaned_data, self.request.user)

    def get_success_url(self) -> str:
        return reverse("cases:case-treatment", kwargs={"case_pk": self.case.pk})


# --- polygraph -----------------------------------------------------------------------------


class CasePolygraphView(CaseScopedMixin, RestrictedListView):
    """A case's polygraph exams (visible only where terms share record type polygraph)."""

    model = PolygraphExam
    record_type = R.POLYGRAPH
    tab = "polygraph"
    template_name = "cases/treatment/case_polygraph.html"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(case=self.case)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.case_context())
        context["can_add"] = bool(
            cases_where(self.request.user, "add", R.POLYGRAPH, [self.case.pk])
        ) and all(f in self.allowed for f in POLYGRAPH_REQUIRED)
        return context


class PolygraphCreateView(ServiceFormView):
    """Record a polygraph exam."""

    form_class = PolygraphExamForm
    template_name = "cases/treatment/polygraph_form.html"
    record_type = R.POLYGRAPH
    case_action = "add"
    tab = "polygraph"
    success_message = "Polygraph exam recorded."

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not all(f in self.allowed for f in POLYGRAPH_REQUIRED):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "allowed": self.allowed}

    def perform(self, form: Any) -> Any:
        return record_polygraph(self.case, form.cleaned_data, self.request.user)

    def get_success_url(self) -> str:
        return reverse("cases:case-polygraph", kwargs={"case_pk": self.case.pk})
