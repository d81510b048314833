"""Pages of the agencies app: the agency and staff directories and specialized training.

Lists and details go through `restrict()`; training evidence is served only through a
restricted, audited view (never from a public media URL).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from agencies import services
from agencies.choices import Role
from agencies.forms import (
    TrainingCompletionForm,
    TrainingCourseForm,
    TrainingRequirementForm,
    apply_service_errors,
)
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord
from agencies.querysets import staff_of
from sartcm import audit
from sartcm.models import AuditAction
from sartcm.pages import RestrictedListView


def _today() -> date:
    return timezone.localdate()


class NavMixin:
    """Tells the tab bar whether to offer the compliance page."""

    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("can_manage", services.can_manage_training(self.request.user))
        return super().get_context_data(**kwargs)  # type: ignore[misc]


class StaffOnlyMixin(LoginRequiredMixin):
    """Pages for agency staff (and superusers); anyone else gets 404."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if user.is_authenticated and not (user.is_superuser or staff_of(user) is not None):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ManagerMixin(LoginRequiredMixin):
    """Training management pages: administrators and supervisors only (others: 404)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not services.can_manage_training(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


# --------------------------------------------------------------------------- directories


class AgencyDirectoryView(NavMixin, RestrictedListView):
    """Every SART partner agency with how to reach it."""

    model = Agency
    template_name = "agencies/agency_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(active=True).order_by("name")


class StaffDirectoryView(NavMixin, RestrictedListView):
    """The staff of my agency, with their roles and who they report to."""

    model = StaffMember
    template_name = "agencies/staff_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        queryset = (
            super()
            .get_queryset()
            .active()
            .select_related("user", "agency", "supervisor__user")
            .order_by("agency__name", "user__last_name", "user__first_name")
        )
        role = self.request.GET.get("role", "")
        if role in Role.values:
            queryset = queryset.with_role(role)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            roles=Role.choices, role=self.request.GET.get("role", ""), **kwargs
        )


# --------------------------------------------------------------------------- training


class MyTrainingView(StaffOnlyMixin, TemplateView):
    """My required training, its status, and my completion records."""

    template_name = "agencies/my_training.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        mine = StaffMember.objects.filter(user=user)
        records = (
            TrainingRecord.objects.restrict(user, "view")
            .filter(staff__user=user)
            .select_related("course")
        )
        return super().get_context_data(
            summary=services.compliance(mine, _today()),
            records=records,
            can_manage=services.can_manage_training(user),
            **kwargs,
        )


class TrainingComplianceView(NavMixin, ManagerMixin, TemplateView):
    """My agency's training compliance: who is current, due within 30 days, expired, missing."""

    template_name = "agencies/training_compliance.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        staff = StaffMember.objects.restrict(self.request.user, "view")
        summary = services.compliance(staff, _today())
        status = self.request.GET.get("status", "")
        items = [i for i in summary.items if not status or i.status == status]
        return super().get_context_data(
            summary=summary,
            items=items,
            status=status,
            statuses=services.Status.LABELS,
            today=_today(),
            **kwargs,
        )


class TrainingRecordListView(NavMixin, RestrictedListView):
    """Training records I may see: my agency's (administrators, supervisors) or my own."""

    model = TrainingRecord
    template_name = "agencies/training_records.html"

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("staff__user", "course", "recorded_by__user")
            .order_by("-completed_on", "-pk")
        )


class TrainingRecordCreateView(NavMixin, StaffOnlyMixin, FormView):
    """Record a completed course with evidence (for myself, or for my agency's staff)."""

    form_class = TrainingCompletionForm
    template_name = "agencies/training_record_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["staff_choices"] = services.trainable_staff(self.request.user).select_related("user")
        return kwargs

    def form_valid(self, form: TrainingCompletionForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            services.record_completion(
                self.request.user,
                staff=data["staff"],
                course=data["course"],
                completed_on=data["completed_on"],
                evidence=data.get("evidence"),
                evidence_note=data.get("evidence_note", ""),
                today=_today(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        except PermissionDenied:
            raise Http404
        messages.success(self.request, "Training recorded.")
        if services.can_manage_training(self.request.user):
            return HttpResponseRedirect(reverse("agencies:training-compliance"))
        return HttpResponseRedirect(reverse("agencies:my-training"))


class TrainingEvidenceView(LoginRequiredMixin, View):
    """Download the evidence of a training record I may see (audited)."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        record = get_object_or_404(TrainingRecord.objects.restrict(request.user, "view"), pk=pk)
        if not record.evidence:
            raise Http404
        audit.record(request.user, AuditAction.VIEW, record, fields=["evidence"])
        return FileResponse(
            record.evidence.open("rb"),
            as_attachment=True,
            filename=record.evidence.name.rsplit("/", 1)[-1],
        )


class CourseListView(StaffOnlyMixin, TemplateView):
    """The training catalogue and the requirements that apply in my agency."""

    template_name = "agencies/courses.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        removable = set(services.removable_requirements(user).values_list("pk", flat=True))
        return super().get_context_data(
            courses=TrainingCourse.objects.order_by("-active", "title"),
            requirements=services.visible_requirements(user)
            .select_related("course", "agency")
            .order_by("role", "course__title"),
            removable=removable,
            can_manage=services.can_manage_training(user),
            **kwargs,
        )


class CourseEditView(NavMixin, ManagerMixin, FormView):
    """Add or change a course in the statewide catalogue."""

    form_class = TrainingCourseForm
    template_name = "agencies/course_form.html"

    def get_course(self) -> TrainingCourse | None:
        pk = self.kwargs.get("pk")
        return get_object_or_404(TrainingCourse, pk=pk) if pk else None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_course()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(course=self.get_course(), **kwargs)

    def form_valid(self, form: TrainingCourseForm) -> HttpResponse:
        try:
            services.save_course(self.request.user, form.cleaned_data, self.get_course())
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Course saved.")
        return HttpResponseRedirect(reverse("agencies:courses"))


class RequirementCreateView(NavMixin, ManagerMixin, FormView):
    """Require a course of a role in my agency."""

    form_class = TrainingRequirementForm
    template_name = "agencies/requirement_form.html"

    def form_valid(self, form: TrainingRequirementForm) -> HttpResponse:
        try:
            services.set_requirement(self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Requirement saved.")
        return HttpResponseRedirect(reverse("agencies:courses"))


class RequirementDeleteView(ManagerMixin, View):
    """Remove one of my agency's requirements (POST)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        requirement = get_object_or_404(services.removable_requirements(request.user), pk=pk)
        services.remove_requirement(requirement, request.user)
        messages.success(request, "Requirement removed.")
        return HttpResponseRedirect(reverse("agencies:courses"))
