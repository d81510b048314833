"""Pages for release planning, the board review queue, hearings, decisions and the release.

Every object comes through restrict() (sartcm.pages base classes): invisible → 404. Every
change goes through cases.services.release, which checks the version the page was based on.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from agencies.choices import RecordType, Role
from agencies.querysets import staff_of
from cases.choices import ReleasePlanStatus
from cases.forms.release import (
    DecisionForm,
    HearingForm,
    HomeInvestigationForm,
    HouseholdFormSet,
    PlanCreateForm,
    PlanForm,
    ReferForm,
    ReleaseForm,
    VersionForm,
    VictimFormSet,
)
from cases.models import BoardReview, Case, ReleasePlan, Victim
from cases.services import release as svc
from sartcm import audit
from sartcm.models import AuditAction
from sartcm.pages import (
    RestrictedCreateView,
    RestrictedDetailView,
    RestrictedListView,
    RestrictedMixin,
    RestrictedUpdateView,
)

S = ReleasePlanStatus


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else at the top)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for message in errors:
                if name in form.fields:
                    form.add_error(name, message)
                else:
                    form.add_error(None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def plan_url(plan: ReleasePlan) -> str:
    return reverse("cases:release-plan-detail", args=[plan.pk])


def _plan_queryset(qs: QuerySet) -> QuerySet:
    return qs.select_related(
        "case__offender",
        "case__lead_agency",
        "planner__user",
        "home_investigated_by__user",
        "treatment_provider",
        "supervision_agency",
        "supervision_officer__user",
    )


class PlanList(RestrictedListView):
    """Release plans the user may see, soonest release first (filter by case or status)."""

    model = ReleasePlan
    template_name = "cases/release/plan_list.html"
    title = "Release plans"

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset().select_related("case__offender").order_by("release_date", "pk")
        case_id = self.request.GET.get("case", "")
        if case_id.isdigit():
            qs = qs.filter(case_id=int(case_id))
        status = self.request.GET.get("status", "")
        if status in S.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plans = list(context["object_list"])
        user = self.request.user
        cases = [p.case for p in plans]
        fields = svc.visible_fields_bulk(user, cases, RecordType.RELEASE_PLANS)
        identity = svc.visible_fields_bulk(user, cases, RecordType.IDENTITY)
        context["rows"] = [
            {
                "plan": p,
                "status": p.get_status_display() if "status" in fields[p.case_id] else None,
                "release_date": p.release_date if "release_date" in fields[p.case_id] else None,
                "name": (
                    f"{p.case.offender.last_name}, {p.case.offender.first_name}"
                    if "first_name" in identity[p.case_id] and "last_name" in identity[p.case_id]
                    else None
                ),
            }
            for p in plans
        ]
        context["title"] = self.title
        context["statuses"] = S.choices
        context["can_create"] = Case.objects.restrict_record(
            user, "add", RecordType.RELEASE_PLANS
        ).exists()
        return context


class BoardQueue(PlanList):
    """The board's review queue: plans awaiting review, sorted by release date."""

    template_name = "cases/release/board_queue.html"
    title = "Board review queue"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().filter(status__in=svc.AWAITING_REVIEW)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plans = [r["plan"] for r in context["rows"]]
        board = svc.visible_fields_bulk(
            self.request.user, [p.case for p in plans], RecordType.BOARD_DECISIONS
        )
        reviews: dict[int, BoardReview] = {}
        for review in (
            BoardReview.objects.restrict(self.request.user, "view")
            .filter(plan__in=plans)
            .order_by("referred_at", "pk")
        ):
            reviews[review.plan_id] = review  # the latest referral wins
        for row in context["rows"]:
            plan = row["plan"]
            review = reviews.get(plan.pk)
            row["review"] = review
            row["hearing_date"] = (
                review.hearing_date
                if review is not None and "hearing_date" in board[plan.case_id]
                else None
            )
        return context


class PlanCreate(RestrictedCreateView):
    """Start a release plan for a case."""

    model = ReleasePlan
    form_class = PlanCreateForm
    template_name = "cases/release/plan_create.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        case_id = self.request.GET.get("case", "")
        return {"case": int(case_id)} if case_id.isdigit() else {}

    def form_valid(self, form: PlanCreateForm) -> HttpResponse:
        try:
            plan = svc.create_plan(
                form.cleaned_data["case"],
                self.request.user,
                release_date=form.cleaned_data["release_date"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Release plan started. Fill in its components.")
        return redirect("cases:release-plan-edit", pk=plan.pk)


class PlanDetail(RestrictedDetailView):
    """A plan with the fields the viewer may see, the checklist panel and the next actions."""

    model = ReleasePlan
    template_name = "cases/release/plan_detail.html"
    context_object_name = "plan"

    def get_queryset(self) -> QuerySet:
        return _plan_queryset(super().get_queryset())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan: ReleasePlan = self.object
        user = self.request.user
        context.update(plan_context(plan, user))
        return context


def plan_context(plan: ReleasePlan, user: Any) -> dict[str, Any]:
    """What the plan page shows and which actions it offers this user."""
    can_change = ReleasePlan.objects.restrict(user, "change").filter(pk=plan.pk).exists()
    staff = staff_of(user)
    checklist = svc.evaluate_checklist(plan) if can_change else []
    missing = [e for e in checklist if e.required and not e.done]
    status = plan.status
    reviews = list(BoardReview.objects.restrict(user, "view").filter(plan=plan).order_by("pk"))
    return {
        "sections": svc.plan_sections(plan, user),
        "checklist": checklist,
        "missing": missing,
        "can_change": can_change,
        "reviews": reviews,
        "version_form": VersionForm(initial={"version": plan.version}),
        "actions": {
            "edit": can_change and status in svc.EDITABLE,
            "submit": can_change and status in svc.EDITABLE,
            "withdraw": can_change and status == S.SUBMITTED,
            "refer": can_change and status == S.SUBMITTED,
            "investigate": can_change
            and status in svc.EDITABLE
            and staff is not None
            and staff.has_role(Role.SUPERVISION_OFFICER, Role.SUPERVISOR),
            "restriction_check": can_change and status in svc.EDITABLE,
            "release": can_change
            and status in svc.RELEASABLE
            and svc.can(user, plan.case, "change", RecordType.STATUS),
        },
    }


class PlanEdit(RestrictedUpdateView):
    """The whole plan on one keyboard-friendly form; a stale save is refused as a conflict."""

    model = ReleasePlan
    template_name = "cases/release/plan_form.html"
    context_object_name = "plan"

    def get_queryset(self) -> QuerySet:
        return _plan_queryset(super().get_queryset())

    def _can_edit_victims(self, plan: ReleasePlan) -> bool:
        return "victims" in svc.plan_fields_writable(self.request.user, plan)

    def _forms(self, data: Any = None) -> tuple[PlanForm, Any, Any]:
        plan = self.object
        user = self.request.user
        form = PlanForm(data, user=user, plan=plan)
        household = None
        if "household_members" in svc.plan_fields_writable(user, plan):
            household = HouseholdFormSet(
                data,
                prefix="household",
                initial=[
                    {"name": m.name, "relationship": m.relationship, "age": m.age,
                     "is_minor": m.is_minor}
                    for m in plan.household_members.all()
                ],
            )  # fmt: skip
        victims = None
        if self._can_edit_victims(plan):
            victims = VictimFormSet(
                data,
                prefix="victims",
                form_kwargs={"user": user},
                initial=[
                    {
                        "id": v.pk,
                        "name": v.name,
                        "no_contact": v.no_contact,
                        "notify": v.notify,
                        "notification_channel": v.notification_channel,
                        "notification_address": v.notification_address,
                        "advocate_agency": v.advocate_agency_id,
                    }
                    for v in Victim.objects.restrict(user, "change").filter(case=plan.case)
                ],
            )
        return form, household, victims

    def _render(self, form: PlanForm, household: Any, victims: Any, status: int = 200) -> Any:
        context = self.get_context_data(form=form)
        context.update(
            household=household,
            victims=victims,
            not_editable=self.object.status not in svc.EDITABLE,
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        form, household, victims = self._forms()
        return self._render(form, household, victims)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = plan = self.get_object()
        form, household, victims = self._forms(request.POST)
        valid = form.is_valid()
        valid = (household is None or household.is_valid()) and valid
        valid = (victims is None or victims.is_valid()) and valid
        if not valid:
            return self._render(form, household, victims, status=400)
        try:
            svc.update_plan(
                plan,
                request.user,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
                household=_household_rows(household),
                conditions=form.chosen_conditions(),
                victims=_victim_rows(victims),
                checklist=form.checklist(),
            )
        except svc.PlanConflict as conflict:
            form.add_error(None, conflict.message)
            return self._render(form, household, victims, status=409)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self._render(form, household, victims, status=400)
        messages.success(request, "Release plan saved.")
        return HttpResponseRedirect(plan_url(plan))


def _household_rows(formset: Any) -> list[dict[str, Any]] | None:
    if formset is None or not formset.has_changed():
        return None
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _victim_rows(formset: Any) -> list[dict[str, Any]] | None:
    if formset is None or not formset.has_changed():
        return None
    return [dict(f.cleaned_data) for f in formset.forms if f.cleaned_data]


class ActionFormMixin:
    """The answer of a workflow form: act, then redirect; or re-show the form with the refusal
    (409 conflict, 400 invalid, 403 not allowed)."""

    success_message = ""

    def act(self, form: Any) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        view: Any = self
        try:
            self.act(form)
        except svc.PlanConflict as conflict:
            form.add_error(None, conflict.message)
            return view.render_to_response(view.get_context_data(form=form), status=409)
        except ValidationError as exc:
            apply_errors(form, exc)
            return view.render_to_response(view.get_context_data(form=form), status=400)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "You may not do this.")
            return view.render_to_response(view.get_context_data(form=form), status=403)
        if self.success_message:
            messages.success(view.request, self.success_message)
        return HttpResponseRedirect(view.get_success_url())

    def form_invalid(self, form: Any) -> HttpResponse:
        view: Any = self
        return view.render_to_response(view.get_context_data(form=form), status=400)


class PlanActionView(ActionFormMixin, RestrictedMixin, SingleObjectMixin, FormView):
    """Base of the workflow buttons: the plan within restrict(user, 'change'), else 404."""

    model = ReleasePlan
    restrict_action = "change"
    template_name = "cases/release/plan_action.html"
    form_class: Any = VersionForm
    heading = ""
    button = "Save"
    success_message = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return _plan_queryset(super().get_queryset())

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.object.version}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(plan=self.object, heading=self.heading, button=self.button)
        return context

    def get_success_url(self) -> str:
        return plan_url(self.object)


class PlanSubmit(PlanActionView):
    """Submit for board review: refused with the list of what the checklist still misses."""

    heading = "Submit the plan for board review"
    button = "Submit plan"
    success_message = "Plan submitted for board review."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["missing"] = svc.missing_items(self.object)
        return context

    def act(self, form: Any) -> Any:
        return svc.submit_plan(
            self.object, self.request.user, expected_version=form.cleaned_data["version"]
        )


class PlanWithdraw(PlanActionView):
    """Take a submitted plan back to draft before it is referred."""

    heading = "Withdraw the submission"
    button = "Withdraw to draft"
    success_message = "Plan withdrawn to draft."

    def act(self, form: Any) -> Any:
        return svc.withdraw_plan(
            self.object, self.request.user, expected_version=form.cleaned_data["version"]
        )


class PlanRefer(PlanActionView):
    """Refer a submitted plan to a parole board (which puts the board on the case team)."""

    form_class = ReferForm
    heading = "Refer the plan to the parole board"
    button = "Refer to board"
    success_message = "Plan referred to the board."

    def act(self, form: Any) -> Any:
        return svc.refer_to_board(
            self.object,
            form.cleaned_data["board"],
            self.request.user,
            expected_version=form.cleaned_data["version"],
        )


class PlanHomeInvestigation(PlanActionView):
    """A supervision officer records the home investigation of the proposed residence."""

    form_class = HomeInvestigationForm
    heading = "Home investigation"
    button = "Record investigation"
    success_message = "Home investigation recorded."

    def get_initial(self) -> dict[str, Any]:
        return {**super().get_initial(), "investigated_on": timezone.localdate()}

    def act(self, form: Any) -> Any:
        return svc.record_home_investigation(
            self.object,
            self.request.user,
            expected_version=form.cleaned_data["version"],
            approved=form.cleaned_data["approved"],
            investigated_on=form.cleaned_data["investigated_on"],
        )


class PlanRestrictionCheck(PlanActionView):
    """Run the residence-restriction check again."""

    heading = "Residence-restriction check"
    button = "Run the check"
    success_message = "Residence-restriction check updated."

    def act(self, form: Any) -> Any:
        return svc.rerun_restriction_check(
            self.object, self.request.user, expected_version=form.cleaned_data["version"]
        )


class PlanRelease(PlanActionView):
    """Record the release: the case passes to community supervision."""

    form_class = ReleaseForm
    heading = "Record the release"
    button = "Record release"
    success_message = "Release recorded; the case is now under community supervision."

    def get_initial(self) -> dict[str, Any]:
        return {**super().get_initial(), "released_on": timezone.localdate()}

    def act(self, form: Any) -> Any:
        return svc.record_release(
            self.object,
            form.cleaned_data["released_on"],
            self.request.user,
            supervision_level=form.cleaned_data["supervision_level"] or None,
            expected_version=form.cleaned_data["version"],
        )


class PlanPacket(RestrictedDetailView):
    """The printable release packet (PDF) with only what the viewer may see; audited as an export."""

    model = ReleasePlan

    def get_queryset(self) -> QuerySet:
        return _plan_queryset(super().get_queryset())

    def get_object(self, queryset: Any = None) -> Any:
        # The export is the audited event (not a page view).
        return super(RestrictedDetailView, self).get_object(queryset)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_object()
        content, fields = svc.render_release_packet(plan, request.user)
        staff = staff_of(request.user)
        partner = staff is not None and staff.agency_id != plan.case.lead_agency_id
        audit.record(
            request.user,
            AuditAction.EXPORT,
            plan,
            fields=fields,
            recipient_agency_id=staff.agency_id if partner else None,
            detail="release packet (PDF)",
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="release-packet-{plan.case.case_number}.pdf"'
        )
        response["Cache-Control"] = "no-store"
        return response


class ReviewDetail(RestrictedDetailView):
    """A board review: the hearing, the decisions with votes, and the forms to act on it."""

    model = BoardReview
    template_name = "cases/release/review_detail.html"
    context_object_name = "review"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("plan__case__offender", "board")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        review: BoardReview = self.object
        user = self.request.user
        staff = staff_of(user)
        is_member = (
            staff is not None
            and staff.agency_id == review.board_id
            and staff.has_role(Role.BOARD_MEMBER)
            and BoardReview.objects.restrict(user, "add").filter(pk=review.pk).exists()
        )
        plan = review.plan
        context["plan"] = plan
        context["plan_visible"] = (
            ReleasePlan.objects.restrict(user, "view").filter(pk=plan.pk).exists()
        )
        context["board_fields"] = svc.visible_fields(user, review.case, RecordType.BOARD_DECISIONS)
        context["decisions"] = list(
            review.decisions.order_by("recorded_at", "pk").prefetch_related("votes__member__user")
        )
        context["is_member"] = is_member
        context["can_schedule"] = is_member and plan.status == S.UNDER_REVIEW
        context["can_decide"] = is_member and plan.status in svc.DECIDABLE
        return context


class ReviewActionView(ActionFormMixin, RestrictedMixin, SingleObjectMixin, FormView):
    """Base of hearing/decision forms: the review within restrict(user, 'add'), else 404."""

    model = BoardReview
    restrict_action = "add"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("plan__case", "board")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(review=self.object, plan=self.object.plan)
        return context

    def get_success_url(self) -> str:
        return reverse("cases:release-review-detail", args=[self.object.pk])


class ReviewHearing(ReviewActionView):
    """Schedule the hearing and record public comment."""

    form_class = HearingForm
    template_name = "cases/release/review_hearing.html"
    success_message = "Hearing saved."

    def get_initial(self) -> dict[str, Any]:
        review = self.object
        return {
            "version": review.plan.version,
            "hearing_date": review.hearing_date,
            "hearing_location": review.hearing_location,
            "public_comment": review.public_comment,
        }

    def act(self, form: Any) -> Any:
        data = dict(form.cleaned_data)
        return svc.schedule_hearing(
            self.object, self.request.user, expected_version=data.pop("version"), **data
        )


class ReviewDecide(ReviewActionView):
    """Record the board's decision with votes, conditions and rationale."""

    form_class = DecisionForm
    template_name = "cases/release/review_decide.html"
    success_message = "Decision recorded."

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["review"] = self.object
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"decided_on": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["current"] = svc.current_decision(self.object.plan)
        return context

    def act(self, form: Any) -> Any:
        data = form.cleaned_data
        return svc.record_decision(
            self.object,
            self.request.user,
            decision=data["decision"],
            decided_on=data["decided_on"],
            rationale=data["rationale"],
            conditions=data["conditions"],
            votes=form.votes(),
            add_conditions=[(c, "") for c in data["add_conditions"]],
        )
