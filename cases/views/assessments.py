"""Pages for risk assessments and the case plan (through sartcm.pages: restrict, 404, audit).

Templates show only the fields the viewer may see (`show` = the field allow-list of the
record type); writes go through cases.services.assessments.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import FormMixin

from agencies.choices import Action, RecordType, Role
from agencies.models import StaffMember
from agencies.querysets import staff_of
from agencies.vocabulary import SHAREABLE_FIELDS
from cases.access import allowed_fields, prefetch_assignments
from cases.forms.assessments import (
    AssessmentForm,
    GoalForm,
    OverrideForm,
    ProgressNoteForm,
    VoidForm,
)
from cases.models import Case, CasePlanGoal, ProgressNote, RiskAssessment, SupervisionLevelChange
from cases.scoring.engine import CHILD_VICTIM, COMPUTED_TYPES, item_type
from cases.services import assessments as services
from protocols.models import Instrument
from sartcm.pages import (
    RestrictedCreateView,
    RestrictedDetailView,
    RestrictedListView,
    RestrictedMixin,
    RestrictedUpdateView,
)

DERIVED = {"item_scores": "answers", "subscores": "answers"}


def show_fields(user: Any, case: Case, record_type: str) -> dict[str, bool]:
    """{field name: visible} for the vocabulary of a record type (plus derived display fields)."""
    allowed = allowed_fields(user, case, record_type)
    names = SHAREABLE_FIELDS[record_type]
    show = {name: name in allowed for name in names}
    if record_type == RecordType.ASSESSMENTS:
        show.update({name: show.get(source, False) for name, source in DERIVED.items()})
    return show


def case_may(user: Any, action: str, record_type: str, case: Case) -> bool:
    return Case.objects.restrict_record(user, action, record_type).filter(pk=case.pk).exists()


def is_lead_supervisor(user: Any, case: Case) -> bool:
    staff = staff_of(user)
    return bool(
        staff and staff.has_role(Role.SUPERVISOR) and staff.agency_id == case.lead_agency_id
    )


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" or request.GET.get("fragment") == "1"


class CaseScopedMixin:
    """Resolves `case_pk` through Case.objects.restrict_record (404 when out of scope)."""

    case_action = Action.VIEW
    case_record_type = RecordType.ASSESSMENTS
    request: HttpRequest
    kwargs: dict[str, Any]

    @cached_property
    def case(self) -> Case:
        cases = Case.objects.restrict_record(
            self.request.user, self.case_action, self.case_record_type
        ).select_related("offender", "lead_agency")
        return get_object_or_404(cases, pk=self.kwargs["case_pk"])


# --- assessments ------------------------------------------------------------------------------


class CaseAssessmentListView(CaseScopedMixin, RestrictedListView):
    """The assessments of one case (newest first), the supervision-level history, and the
    instruments the viewer may start."""

    model = RiskAssessment
    paginate_by = 25

    def get_template_names(self) -> list[str]:
        if is_htmx(self.request):
            return ["cases/assessments/_list.html"]
        return ["cases/assessments/list.html"]

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .filter(case=self.case)
            .select_related("instrument", "assessor__user")
            .order_by("-assessed_on", "-pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["case"] = self.case
        context["show"] = show_fields(user, self.case, RecordType.ASSESSMENTS)
        context["can_add"] = case_may(user, Action.ADD, RecordType.ASSESSMENTS, self.case)
        context["instruments"] = (
            services.usable_instruments(user, self.case) if context["can_add"] else []
        )
        context["level_changes"] = (
            SupervisionLevelChange.objects.restrict(user, Action.VIEW)
            .filter(case=self.case)
            .select_related("assessment__instrument", "changed_by__user")[:10]
        )
        return context


class AssessmentCreateView(CaseScopedMixin, RestrictedCreateView):
    """Enter an assessment: pick an instrument, answer every item; the score and level are
    computed by the server and shown live (htmx preview) or on "Calculate" without JS."""

    model = RiskAssessment
    form_class = AssessmentForm
    case_action = Action.ADD
    template_name = "cases/assessments/form.html"

    @cached_property
    def instrument(self) -> Instrument | None:
        raw = self.request.POST.get("instrument") or self.request.GET.get("instrument")
        if not raw or not str(raw).isdigit():
            return None
        return services.usable_instruments(self.request.user, self.case).filter(pk=raw).first()

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = FormMixin.get_form_kwargs(self)  # a plain form: no model instance
        user = self.request.user
        kwargs.update(
            case=self.case,
            instrument=self.instrument,
            assessors=StaffMember.objects.restrict(user, Action.VIEW)
            .active()
            .select_related("user"),
            user_staff=staff_of(user),
        )
        return kwargs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = None
        if self.instrument is None:
            return render(
                request,
                "cases/assessments/choose_instrument.html",
                {
                    "case": self.case,
                    "instruments": services.usable_instruments(request.user, self.case),
                },
            )
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = None
        if self.instrument is None:
            raise Http404("No such instrument for this case.")
        form = self.get_form()
        if "preview" in request.POST:  # "Calculate score" without JavaScript: nothing saved
            return self.render_to_response(self.get_context_data(form=form, result=form.preview()))
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form, result=form.preview()))

    def form_valid(self, form: Any) -> HttpResponse:
        user = self.request.user
        try:
            with transaction.atomic():
                self.object = services.record_assessment(
                    self.case,
                    self.instrument,
                    form.answers(),
                    form.cleaned_data["assessed_on"],
                    form.cleaned_data["assessor"],
                    user,
                    release_date=form.release_date(),
                )
                visible = RiskAssessment.objects.restrict(user, Action.ADD)
                if not visible.filter(pk=self.object.pk).exists():
                    raise Http404
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.instrument.name} recorded: total {self.object.total_score}, "
            f"level {self.object.computed_level}.",
        )
        return HttpResponseRedirect(reverse("cases:assessment-detail", args=[self.object.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        context["instrument"] = self.instrument
        context.setdefault("result", None)
        return context


class AssessmentPreviewView(CaseScopedMixin, RestrictedMixin, View):
    """htmx endpoint: the form posts here on every change; answers a fragment with the running
    total and, once every item is answered, the level. Saves nothing."""

    case_action = Action.ADD
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw = request.POST.get("instrument", "")
        instrument = (
            services.usable_instruments(request.user, self.case).filter(pk=raw).first()
            if raw.isdigit()
            else None
        )
        if instrument is None:
            raise Http404("No such instrument for this case.")
        form = AssessmentForm(
            request.POST,
            case=self.case,
            instrument=instrument,
            assessors=StaffMember.objects.none(),
        )
        return render(
            request,
            "cases/assessments/_score.html",
            {"result": form.preview(), "instrument": instrument},
        )


def item_rows(assessment: RiskAssessment) -> list[dict[str, Any]]:
    """One row per item of the instrument: label, the answer (or computed value), points."""
    rows = []
    answers = assessment.answers or {}
    for item in assessment.instrument.definition.get("items", []):
        code = item["code"]
        kind = item_type(item)
        if kind in COMPUTED_TYPES:
            computed = answers.get(code) or {}
            answer = (
                f"{computed.get('age')} years at release on {computed.get('release_date')} "
                "(computed)"
                if computed
                else "—"
            )
        elif kind == "higher_of":
            answer = "; ".join(
                f"{reading.get('label', reading['code'])}: {answers.get(reading['code'], '—')}"
                for reading in item.get("readings", [])
            )
        else:
            value = answers.get(code)
            labels = {str(a["value"]): a.get("label", a["value"]) for a in item.get("answers", [])}
            if value is not None:
                answer = labels.get(str(value), value)
            elif item.get("condition") == CHILD_VICTIM:
                answer = "not scored: no child victim recorded"
            else:
                answer = "not scored"
        rows.append(
            {
                "title": f"{item['number']}. {item.get('label', code)}"
                if item.get("number") is not None
                else item.get("label", code),
                "answer": answer,
                "points": assessment.item_scores.get(code),
                "need": bool(item.get("dynamic")) and assessment.item_scores.get(code, 0) > 0,
            }
        )
    return rows


class AssessmentDetailView(RestrictedDetailView):
    """One assessment with its item scores, sub-scores, levels, needs and actions."""

    model = RiskAssessment
    template_name = "cases/assessments/detail.html"

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related(
                "instrument", "assessor__user", "override_by__user", "voided_by__user", "case"
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assessment = self.object
        user = self.request.user
        case = assessment.case
        context["case"] = case
        context["show"] = show_fields(user, case, RecordType.ASSESSMENTS)
        context["items"] = item_rows(assessment) if context["show"]["answers"] else []
        context["can_override"] = assessment.status == "valid" and is_lead_supervisor(user, case)
        context["can_void"] = (
            assessment.status == "valid"
            and RiskAssessment.objects.restrict(user, Action.CHANGE)
            .filter(pk=assessment.pk)
            .exists()
        )
        may_plan = case_may(user, Action.ADD, RecordType.CASE_PLAN, case)
        context["open_needs"] = (
            services.open_needs_without_goal(assessment)
            if may_plan and assessment.status == "valid" and context["show"]["answers"]
            else []
        )
        return context


class LeadSupervisorMixin:
    """Only a supervisor of the case's lead agency reaches the override page (else 403)."""

    request: HttpRequest

    def get_object(self, queryset: Any = None) -> Any:
        obj = super().get_object(queryset)  # type: ignore[misc]
        if not is_lead_supervisor(self.request.user, obj.case):
            raise PermissionDenied(
                "Only a supervisor of the case's lead agency may override an assessment level."
            )
        return obj


class AssessmentOverrideView(LeadSupervisorMixin, RestrictedUpdateView):
    """Supervisor override: final level and the reason; the computed level is kept."""

    model = RiskAssessment
    form_class = OverrideForm
    template_name = "cases/assessments/override.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("instrument", "case")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = FormMixin.get_form_kwargs(self)
        kwargs["instrument"] = self.object.instrument
        kwargs.setdefault("initial", {})["final_level"] = self.object.final_level
        return kwargs

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            services.override_level(
                self.object,
                form.cleaned_data["final_level"],
                form.cleaned_data["override_reason"],
                self.request.user,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
            return self.form_invalid(form)
        messages.success(self.request, "Level overridden; the supervision level was re-derived.")
        return HttpResponseRedirect(reverse("cases:assessment-detail", args=[self.object.pk]))


class AssessmentVoidView(RestrictedUpdateView):
    """Void an assessment with a reason (kept as history, out of level derivation)."""

    model = RiskAssessment
    form_class = VoidForm
    template_name = "cases/assessments/void.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("instrument", "case")

    def get_form_kwargs(self) -> dict[str, Any]:
        return FormMixin.get_form_kwargs(self)

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            services.void_assessment(
                self.object, form.cleaned_data["void_reason"], self.request.user
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
            return self.form_invalid(form)
        messages.success(self.request, "Assessment voided; the supervision level was re-derived.")
        return HttpResponseRedirect(reverse("cases:assessment-detail", args=[self.object.pk]))


class GoalsFromNeedsView(RestrictedMixin, SingleObjectMixin, View):
    """POST: make case-plan goals from the assessment's needs that have no open goal."""

    model = RiskAssessment
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        assessment = self.get_object()
        try:
            goals = services.goals_from_needs(assessment, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("cases:assessment-detail", args=[assessment.pk]))
        messages.success(request, f"{len(goals)} goal(s) added to the case plan.")
        return HttpResponseRedirect(reverse("cases:caseplan", args=[assessment.case_id]))


class AssessmentsDueView(RestrictedListView):
    """Reassessments due within 30 days (or overdue) across the cases the viewer may see."""

    model = RiskAssessment
    template_name = "cases/assessments/due.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        return services.assessments_due(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(context["object_list"])
        prefetch_assignments(user, [row.case_id for row in rows])
        context["rows"] = [
            (row, show_fields(user, row.case, RecordType.ASSESSMENTS)) for row in rows
        ]
        return context


# --- the case plan ----------------------------------------------------------------------------


def goal_queryset(qs: Any) -> Any:
    notes = ProgressNote.objects.select_related("author__user").order_by("-written_on", "-pk")
    return qs.select_related("responsible_agency", "responsible_staff__user").prefetch_related(
        Prefetch("progress_notes", queryset=notes)
    )


class CasePlanView(CaseScopedMixin, RestrictedListView):
    """The case plan: goals with interventions, responsibility, target date, status, notes."""

    model = CasePlanGoal
    case_record_type = RecordType.CASE_PLAN
    paginate_by = 50

    def get_template_names(self) -> list[str]:
        if is_htmx(self.request):
            return ["cases/assessments/_case_plan.html"]
        return ["cases/assessments/case_plan.html"]

    def get_queryset(self) -> Any:
        return goal_queryset(super().get_queryset().filter(case=self.case)).order_by(
            "status", "target_date", "pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["case"] = self.case
        context["show"] = show_fields(user, self.case, RecordType.CASE_PLAN)
        context["can_add"] = case_may(user, Action.ADD, RecordType.CASE_PLAN, self.case)
        return context


def goal_form_querysets(user: Any, case: Case) -> tuple[Any, Any]:
    agencies = services._responsible_agencies(case)
    staff = StaffMember.objects.restrict(user, Action.VIEW).active().select_related("user")
    return agencies, staff


class GoalCreateView(CaseScopedMixin, RestrictedCreateView):
    """Add a goal to the case plan by hand."""

    model = CasePlanGoal
    form_class = GoalForm
    case_action = Action.ADD
    case_record_type = RecordType.CASE_PLAN
    template_name = "cases/assessments/goal_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = FormMixin.get_form_kwargs(self)
        agencies, staff = goal_form_querysets(self.request.user, self.case)
        kwargs.update(agencies=agencies, staff=staff)
        kwargs.setdefault("initial", {})["responsible_agency"] = self.case.lead_agency_id
        return kwargs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = None
        self.case  # noqa: B018 - 404 before rendering anything
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = None
        self.case  # noqa: B018
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        data = form.cleaned_data
        try:
            self.object = services.create_goal(
                self.case,
                self.request.user,
                goal=data["goal"],
                need=data.get("need", ""),
                interventions=data["interventions"],
                responsible_agency=data["responsible_agency"],
                responsible_staff=data["responsible_staff"],
                target_date=data["target_date"],
                status=data["status"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
            return self.form_invalid(form)
        messages.success(self.request, "Goal added to the case plan.")
        return HttpResponseRedirect(reverse("cases:caseplan", args=[self.case.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        return context


class GoalDetailView(RestrictedDetailView):
    """A goal with its progress notes, and a form to add one."""

    model = CasePlanGoal
    template_name = "cases/assessments/goal_detail.html"

    def get_queryset(self) -> Any:
        return goal_queryset(super().get_queryset().select_related("case"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        case = self.object.case
        context["case"] = case
        context["show"] = show_fields(user, case, RecordType.CASE_PLAN)
        context["can_note"] = context["show"]["progress_notes"] and case_may(
            user, Action.ADD, RecordType.CASE_PLAN, case
        )
        context["can_edit"] = (
            CasePlanGoal.objects.restrict(user, Action.CHANGE).filter(pk=self.object.pk).exists()
        )
        context.setdefault("note_form", ProgressNoteForm())
        return context


class GoalUpdateView(RestrictedUpdateView):
    """Change a goal (text, interventions, responsibility, target date, status)."""

    model = CasePlanGoal
    form_class = GoalForm
    template_name = "cases/assessments/goal_form.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("case")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = FormMixin.get_form_kwargs(self)
        goal = self.object
        agencies, staff = goal_form_querysets(self.request.user, goal.case)
        kwargs.update(agencies=agencies, staff=staff, editing=True)
        kwargs["initial"] = {
            "goal": goal.goal,
            "interventions": goal.interventions,
            "responsible_agency": goal.responsible_agency_id,
            "responsible_staff": goal.responsible_staff_id,
            "target_date": goal.target_date,
            "status": goal.status,
        }
        return kwargs

    def form_valid(self, form: Any) -> HttpResponse:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if changes:
                services.update_goal(self.object, self.request.user, **changes)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
            return self.form_invalid(form)
        messages.success(self.request, "Goal updated.")
        return HttpResponseRedirect(reverse("cases:caseplan-goal-detail", args=[self.object.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["case"] = self.object.case
        return context


class ProgressNoteCreateView(RestrictedMixin, SingleObjectMixin, View):
    """POST: add a progress note to a goal (the MOU must share `progress_notes`)."""

    model = CasePlanGoal
    http_method_names = ["post"]

    def get_queryset(self) -> Any:
        return goal_queryset(super().get_queryset().select_related("case"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        goal = self.get_object()
        self.object = goal
        if not show_fields(request.user, goal.case, RecordType.CASE_PLAN)["progress_notes"]:
            raise PermissionDenied("Progress notes are not shared with your agency.")
        form = ProgressNoteForm(request.POST)
        if form.is_valid():
            try:
                services.add_progress_note(
                    goal, request.user, form.cleaned_data["note"], form.cleaned_data["written_on"]
                )
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(key if key in form.fields else None, error)
            else:
                messages.success(request, "Progress note added.")
                return HttpResponseRedirect(reverse("cases:caseplan-goal-detail", args=[goal.pk]))
        view = GoalDetailView(request=request, kwargs={"pk": goal.pk}, object=goal)
        context = view.get_context_data(object=goal, note_form=form)
        return render(request, GoalDetailView.template_name, context, status=400)
