"""Pages of the protocol library and the standards editor.

Reads go through `restrict()` (sartcm.pages base classes, or the model's restricted queryset);
anything outside it answers 404. Changes go through protocols.services.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views import View
from django.views.generic import FormView, TemplateView

from agencies.models import StaffMember
from agencies.querysets import staff_of
from protocols import services
from protocols.choices import ProtocolArea, VersionStatus
from protocols.forms import (
    AdoptForm,
    EndStandardForm,
    HolidayForm,
    ProtectedSiteForm,
    ProtocolForm,
    VersionForm,
    apply_service_errors,
    standard_form,
)
from protocols.kinds import KINDS, StandardKind, kind_for_slug
from protocols.models import Holiday, ProtectedSite, Protocol, ProtocolVersion
from protocols.previews import preview_change, preview_for
from protocols.rendering import diff_lines, render_markdown, unified_diff
from protocols.rules import can_edit_standards, can_read_reference_data
from sartcm.pages import RestrictedDetailView, RestrictedListView


def _today() -> date:
    return timezone.localdate()


def visible_versions(user: Any, action: str = "view") -> QuerySet[ProtocolVersion]:
    """Versions of the protocols the user may `action` (ProtocolVersion inherits its protocol's
    restriction)."""
    return ProtocolVersion.objects.filter(
        protocol__in=Protocol.objects.restrict(user, action).values("pk")
    )


class ReferenceReaderMixin(LoginRequiredMixin):
    """Pages of reference data: active staff only (others get 404, like anything invisible)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not can_read_reference_data(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class EditorMixin(LoginRequiredMixin):
    """Pages that change protocols or standards: editors only (protocols.rules)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not can_edit_standards(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


# --------------------------------------------------------------------------- protocols


class ProtocolListView(RestrictedListView):
    """The protocol library, by area, with the version adopted now."""

    model = Protocol
    template_name = "protocols/protocol_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        queryset = (
            super()
            .get_queryset()
            .select_related("owner_agency")
            .prefetch_related(
                Prefetch(
                    "versions",
                    queryset=ProtocolVersion.objects.filter(status=VersionStatus.ADOPTED),
                    to_attr="adopted_versions",
                )
            )
        )
        area = self.request.GET.get("area", "")
        if area in ProtocolArea.values:
            queryset = queryset.filter(area=area)
        return queryset.order_by("area", "title")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["areas"] = ProtocolArea.choices
        context["area"] = self.request.GET.get("area", "")
        context["can_edit"] = can_edit_standards(self.request.user)
        return context


class ProtocolDetailView(RestrictedDetailView):
    """A protocol: its versions, the one in force, and links to compare them."""

    model = Protocol
    template_name = "protocols/protocol_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        protocol = self.object
        versions = list(
            protocol.versions.annotate(agency_count=Count("adopting_agencies")).order_by("-number")
        )
        context["versions"] = versions
        context["in_force"] = services.version_in_force(protocol, _today())
        context["can_edit"] = (
            Protocol.objects.restrict(self.request.user, "change").filter(pk=protocol.pk).exists()
        )
        context["role_labels"] = _role_labels(protocol.applies_to_roles)
        return context


def _role_labels(roles: list[str]) -> list[str]:
    from agencies.choices import Role

    return [Role(role).label for role in roles or [] if role in Role.values]


class ServiceFormMixin:
    """form_valid through a service: its ValidationError back on the form, else a message and a
    redirect."""

    request: HttpRequest

    def save_through(
        self,
        form: Any,
        save: Callable[[], Any],
        message: str | Callable[[Any], str],
        url: Callable[[Any], str],
    ) -> HttpResponse:
        try:
            saved = save()
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)  # type: ignore[attr-defined]
        messages.success(self.request, message(saved) if callable(message) else message)
        return HttpResponseRedirect(url(saved))


class ChangeProtocolMixin(LoginRequiredMixin, ServiceFormMixin):
    """A form on one protocol the user may change (`self.protocol`; 404 otherwise)."""

    protocol: Protocol

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            self.protocol = get_object_or_404(
                Protocol.objects.restrict(request.user, "change"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(protocol=self.protocol, **kwargs)  # type: ignore[misc]


class ProtocolCreateView(EditorMixin, ServiceFormMixin, FormView):
    """Start a new protocol (owned by the editor's agency)."""

    form_class = ProtocolForm
    template_name = "protocols/protocol_form.html"

    def form_valid(self, form: ProtocolForm) -> HttpResponse:
        return self.save_through(
            form,
            lambda: services.create_protocol(self.request.user, **form.cleaned_data),
            "Protocol created. Add its text as a draft version.",
            lambda protocol: reverse("protocols:version-create", args=[protocol.pk]),
        )


class ProtocolUpdateView(ChangeProtocolMixin, FormView):
    """Change a protocol's title, area, summary or acknowledging roles."""

    form_class = ProtocolForm
    template_name = "protocols/protocol_form.html"

    def get_initial(self) -> dict[str, Any]:
        p = self.protocol
        return {
            "title": p.title,
            "area": p.area,
            "summary": p.summary,
            "applies_to_roles": p.applies_to_roles,
        }

    def form_valid(self, form: ProtocolForm) -> HttpResponse:
        return self.save_through(
            form,
            lambda: services.update_protocol(self.protocol, self.request.user, **form.cleaned_data),
            "Protocol saved.",
            lambda _: reverse("protocols:detail", args=[self.protocol.pk]),
        )


class VersionCreateView(ChangeProtocolMixin, FormView):
    """Write a new draft version, starting from the latest text."""

    form_class = VersionForm
    template_name = "protocols/version_form.html"

    def get_initial(self) -> dict[str, Any]:
        latest = self.protocol.versions.order_by("-number").first()
        return {"body": latest.body if latest else "", "acknowledge_within_days": 30}

    def form_valid(self, form: VersionForm) -> HttpResponse:
        return self.save_through(
            form,
            lambda: services.create_version(self.protocol, self.request.user, **form.cleaned_data),
            lambda version: f"Draft version {version.number} saved.",
            lambda version: reverse("protocols:version-detail", args=[version.pk]),
        )


class VersionUpdateView(LoginRequiredMixin, ServiceFormMixin, FormView):
    """Edit a draft version (adopted text never changes)."""

    form_class = VersionForm
    template_name = "protocols/version_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            self.version = get_object_or_404(
                visible_versions(request.user, "change").select_related("protocol"),
                pk=kwargs["pk"],
                status=VersionStatus.DRAFT,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        v = self.version
        return {
            "body": v.body,
            "change_summary": v.change_summary,
            "acknowledge_within_days": v.acknowledge_within_days,
            "effective_from": v.effective_from,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            protocol=self.version.protocol, version=self.version, **kwargs
        )

    def form_valid(self, form: VersionForm) -> HttpResponse:
        return self.save_through(
            form,
            lambda: services.update_draft(self.version, self.request.user, **form.cleaned_data),
            "Draft saved.",
            lambda _: reverse("protocols:version-detail", args=[self.version.pk]),
        )


class VersionDetailView(LoginRequiredMixin, TemplateView):
    """A version's text (sanitized), its status, adopting agencies and acknowledgments."""

    template_name = "protocols/version_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from sartcm import audit
        from sartcm.models import AuditAction

        user = self.request.user
        version = get_object_or_404(
            visible_versions(user).select_related("protocol", "created_by"), pk=kwargs["pk"]
        )
        audit.record(user, AuditAction.VIEW, version)
        staff = staff_of(user)
        can_edit = Protocol.objects.restrict(user, "change").filter(pk=version.protocol_id).exists()
        agencies = list(version.adopting_agencies.order_by("name"))
        context = super().get_context_data(**kwargs)
        context.update(
            version=version,
            protocol=version.protocol,
            body_html=render_markdown(version.body),
            agencies=agencies,
            can_edit=can_edit,
            can_join=(
                staff is not None
                and can_edit_standards(user)
                and version.status == VersionStatus.ADOPTED
                and staff.agency_id not in {a.pk for a in agencies}
            ),
            adopt_form=AdoptForm(initial={"effective_from": version.effective_from or _today()}),
            must_acknowledge=staff is not None and services.must_acknowledge(staff, version),
            acknowledgment=(
                version.acknowledgments.filter(staff=staff).first() if staff is not None else None
            ),
            previous=version.protocol.versions.filter(number__lt=version.number)
            .order_by("-number")
            .first(),
        )
        if can_edit_standards(user) and staff is not None:
            visible_staff = StaffMember.objects.restrict(user, "view").values("pk")
            context["ack_count"] = version.acknowledgments.filter(staff__in=visible_staff).count()
        return context


class _VersionActionView(LoginRequiredMixin, View):
    """POST-only action on a version the user may see; subclasses do the change."""

    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = get_object_or_404(visible_versions(request.user, self.action), pk=pk)
        try:
            message = self.perform(request, version)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
        return HttpResponseRedirect(reverse("protocols:version-detail", args=[pk]))


class VersionAdoptView(_VersionActionView):
    """Adopt a draft from a date (the previously adopted version is retired)."""

    def perform(self, request: HttpRequest, version: ProtocolVersion) -> str:
        form = AdoptForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Give the date the version is in force from.")
        services.adopt_version(version, request.user, form.cleaned_data["effective_from"])
        return f"Version {version.number} adopted."


class VersionRetireView(_VersionActionView):
    """Retire a version without a successor."""

    def perform(self, request: HttpRequest, version: ProtocolVersion) -> str:
        services.retire_version(version, request.user)
        return f"Version {version.number} retired."


class VersionJoinView(_VersionActionView):
    """My agency adopts an already adopted version."""

    action = "view"

    def perform(self, request: HttpRequest, version: ProtocolVersion) -> str:
        if not can_edit_standards(request.user):
            raise Http404
        services.join_adoption(version, request.user)
        return "Your agency now follows this version; its staff will be asked to acknowledge it."


class VersionAcknowledgeView(_VersionActionView):
    """I have read and acknowledge this version."""

    action = "view"

    def perform(self, request: HttpRequest, version: ProtocolVersion) -> str:
        services.acknowledge(version, request.user)
        return "Thank you: your acknowledgment is recorded."


class ProtocolDiffView(RestrictedDetailView):
    """What changed between two versions, as an accessible table and a unified diff."""

    model = Protocol
    template_name = "protocols/protocol_diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        versions = list(self.object.versions.order_by("number"))
        if len(versions) < 2:
            context["versions"] = versions
            return context
        by_number = {v.number: v for v in versions}
        new = by_number.get(_int(self.request.GET.get("to")), versions[-1])
        old = by_number.get(_int(self.request.GET.get("from")), None)
        if old is None:
            earlier = [v for v in versions if v.number < new.number]
            old = earlier[-1] if earlier else versions[0]
        context.update(
            versions=versions,
            old=old,
            new=new,
            rows=diff_lines(old.body, new.body),
            unified=unified_diff(
                old.body, new.body, f"version {old.number}", f"version {new.number}"
            ),
        )
        return context


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class AcknowledgmentStatusView(ReferenceReaderMixin, TemplateView):
    """Adopted protocol versions not yet acknowledged: my agency's staff for administrators
    and supervisors; my own for everyone else."""

    template_name = "protocols/acknowledgments.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        today = _today()
        staff_scope = StaffMember.objects.restrict(user, "view")
        me = staff_of(user)
        whole_agency = can_edit_standards(user)
        if not whole_agency:
            staff_scope = staff_scope.filter(pk=me.pk if me else None)
        rows = list(services.unacknowledged(today).filter(pk__in=staff_scope.values("pk")))
        people = StaffMember.objects.select_related("user").in_bulk({r["staff_id"] for r in rows})
        versions = ProtocolVersion.objects.select_related("protocol").in_bulk(
            {r["version_id"] for r in rows}
        )
        for row in rows:
            row["staff"] = people[row["staff_id"]]
            row["version"] = versions[row["version_id"]]
            row["overdue"] = row["due_date"] < today
        context = super().get_context_data(**kwargs)
        context.update(rows=rows, whole_agency=whole_agency, today=today)
        return context


# --------------------------------------------------------------------------- standards


class StandardsIndexView(ReferenceReaderMixin, TemplateView):
    """Every kind of standard, with how many rows are in force today."""

    template_name = "protocols/standards_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = _today()
        kinds = [
            {
                "kind": kind,
                "in_force": kind.model.objects.restrict(self.request.user, "view")
                .in_force(today)
                .count(),
            }
            for kind in KINDS
        ]
        return super().get_context_data(
            kinds=kinds,
            holidays=Holiday.objects.filter(date__gte=today).count(),
            sites=ProtectedSite.objects.count(),
            can_edit=can_edit_standards(self.request.user),
            **kwargs,
        )


class KindMixin:
    """The kind of standard named by the URL's `kind` slug."""

    kwargs: dict[str, Any]

    @property
    def kind(self) -> StandardKind:
        return kind_for_slug(self.kwargs["kind"])


def _columns(kind: StandardKind) -> list[tuple[str, str]]:
    names = [name for name in kind.key_fields + kind.value_fields]
    return [(name, str(kind.model._meta.get_field(name).verbose_name)) for name in names]


def _cells(row: Any, kind: StandardKind) -> list[Any]:
    cells = []
    for name in kind.key_fields + kind.value_fields:
        display = getattr(row, f"get_{name}_display", None)
        value = display() if display else getattr(row, name)
        if name == "jurisdiction" and not value:
            value = "(default)"
        cells.append(value)
    return cells


class StandardListView(KindMixin, RestrictedListView):
    """The rows of one kind of standard in force on a date (default today), or its history."""

    template_name = "protocols/standard_list.html"
    paginate_by = 200

    def get_queryset(self) -> Any:
        self.model = self.kind.model
        queryset = super().get_queryset().select_related("protocol_version__protocol")
        self.on = parse_date(self.request.GET.get("on") or "") or _today()
        self.history = self.request.GET.get("history") == "1"
        if not self.history:
            queryset = queryset.in_force(self.on)
        jurisdiction = self.request.GET.get("jurisdiction")
        if jurisdiction is not None and jurisdiction != "all":
            queryset = queryset.filter(jurisdiction=jurisdiction)
        return queryset.order_by(*self.kind.key_fields, "effective_from")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind = self.kind
        context.update(
            kind=kind,
            columns=_columns(kind),
            rows=[(row, _cells(row, kind)) for row in context["object_list"]],
            on=self.on,
            history=self.history,
            jurisdiction=self.request.GET.get("jurisdiction", "all"),
            jurisdictions=sorted(
                set(kind.model.objects.values_list("jurisdiction", flat=True).distinct())
            ),
            can_edit=can_edit_standards(self.request.user),
        )
        return context


class StandardDetailView(KindMixin, RestrictedDetailView):
    """One row of a standard, with every version of the same standard."""

    template_name = "protocols/standard_detail.html"

    def get_queryset(self) -> Any:
        self.model = self.kind.model
        return super().get_queryset().select_related("protocol_version__protocol")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind, row = self.kind, self.object
        identity = {name: getattr(row, name) for name in kind.key_fields}
        history = (
            kind.model.objects.restrict(self.request.user, "view")
            .filter(**identity)
            .select_related("protocol_version__protocol")
            .order_by("-effective_from")
        )
        fields = [
            (str(kind.model._meta.get_field(name).verbose_name), value)
            for name, value in zip(
                kind.key_fields + kind.value_fields, _cells(row, kind), strict=True
            )
        ]
        today = _today()
        context.update(
            kind=kind,
            fields=fields,
            history=history,
            columns=_columns(kind),
            history_rows=[(h, _cells(h, kind)) for h in history],
            in_force=row.effective_from <= today
            and (row.effective_to is None or row.effective_to > today),
            can_edit=can_edit_standards(self.request.user),
        )
        return context


def _values_token(values: dict[str, Any]) -> str:
    """A fingerprint of the proposed values: saving requires the preview of exactly these."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _StandardChangeView(KindMixin, LoginRequiredMixin, FormView):
    """Shared flow of the create and supersede pages: preview first, then save.

    The first submit shows the registered preview ("N cases would become behind") and a
    confirm button; saving is accepted only for the values that were previewed.
    """

    template_name = "protocols/standard_form.html"
    create = False
    current: Any = None

    def get_form_class(self) -> Any:
        return standard_form(self.kind, create=self.create)

    def values_from(self, form: Any) -> tuple[dict[str, Any], date]:
        data = dict(form.cleaned_data)
        effective_from = data.pop("effective_from")
        return data, effective_from

    def build_proposed(self, values: dict[str, Any], effective_from: date) -> Any:
        raise NotImplementedError

    def save(self, values: dict[str, Any], effective_from: date) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        values, effective_from = self.values_from(form)
        token = _values_token({**values, "effective_from": effective_from})
        try:
            services.check_not_backdated("effective_from", effective_from, self.request.user)
            proposed = self.build_proposed(values, effective_from)
            services.validate_row(proposed, skip_overlap=not self.create)
            confirmed = (
                self.request.POST.get("action") == "save"
                and self.request.POST.get("token") == token
            )
            if not confirmed:
                preview = preview_change(self.current, proposed)
                return self.render_to_response(
                    self.get_context_data(
                        form=form,
                        preview=preview,
                        has_preview=preview_for(self.kind.model) is not None,
                        token=token,
                        previewed=True,
                    )
                )
            row = self.save(values, effective_from)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Saved. The change is recorded in the audit trail.")
        return HttpResponseRedirect(
            reverse("protocols:standard-detail", args=[self.kind.slug, row.pk])
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            kind=self.kind, current=self.current, create=self.create, **kwargs
        )


class StandardCreateView(EditorMixin, _StandardChangeView):
    """A new standard with no earlier version (e.g. a jurisdiction's own rule)."""

    create = True

    def get_initial(self) -> dict[str, Any]:
        return {"effective_from": _today()}

    def values_from(self, form: Any) -> tuple[dict[str, Any], date]:
        data = dict(form.cleaned_data)
        return data, data["effective_from"]

    def build_proposed(self, values: dict[str, Any], effective_from: date) -> Any:
        return self.kind.model(**values)

    def save(self, values: dict[str, Any], effective_from: date) -> Any:
        return services.create_standard(self.kind.model, values, self.request.user)


class StandardSupersedeView(_StandardChangeView):
    """Change a standard from a date: a new version; earlier dates keep the current one."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            self.current = get_object_or_404(
                self.kind.model.objects.restrict(request.user, "change"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        initial = {
            name: getattr(self.current, name)
            for name in self.kind.editable_fields
            if name != "note"
        }
        initial["effective_from"] = max(_today(), self.current.effective_from + timedelta(days=1))
        return initial

    def build_proposed(self, values: dict[str, Any], effective_from: date) -> Any:
        return services.proposed_version(self.current, values, effective_from)

    def save(self, values: dict[str, Any], effective_from: date) -> Any:
        return services.supersede(self.current, values, effective_from, self.request.user)


class StandardEndView(KindMixin, LoginRequiredMixin, FormView):
    """Stop a standard on a date without a successor."""

    form_class = EndStandardForm
    template_name = "protocols/standard_end.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            self.current = get_object_or_404(
                self.kind.model.objects.restrict(request.user, "change"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(kind=self.kind, current=self.current, **kwargs)

    def form_valid(self, form: EndStandardForm) -> HttpResponse:
        try:
            services.end_standard(
                self.current, form.cleaned_data["effective_to"], self.request.user
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "The standard's period now ends on that date.")
        return HttpResponseRedirect(
            reverse("protocols:standard-detail", args=[self.kind.slug, self.current.pk])
        )


# --------------------------------------------------------------------------- reference rows


class HolidayListView(ReferenceReaderMixin, FormView):
    """The holiday calendar (business-day deadlines); editors add and remove days."""

    form_class = HolidayForm
    template_name = "protocols/holidays.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = _int(self.request.GET.get("year")) or _today().year
        return super().get_context_data(
            holidays=Holiday.objects.filter(date__year=year).order_by("date", "jurisdiction"),
            year=year,
            years=[day.year for day in Holiday.objects.dates("date", "year")],
            can_edit=can_edit_standards(self.request.user),
            **kwargs,
        )

    def form_valid(self, form: HolidayForm) -> HttpResponse:
        if not can_edit_standards(self.request.user):
            raise Http404
        data = form.cleaned_data
        try:
            services.add_holiday(
                self.request.user,
                day=data["date"],
                name=data["name"],
                jurisdiction=data["jurisdiction"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Holiday added.")
        return HttpResponseRedirect(reverse("protocols:holidays") + f"?year={data['date'].year}")


class HolidayDeleteView(EditorMixin, View):
    """Remove a holiday (POST)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        holiday = get_object_or_404(Holiday, pk=pk)
        services.remove_holiday(holiday, request.user)
        messages.success(request, f"{holiday.name} removed.")
        return HttpResponseRedirect(reverse("protocols:holidays") + f"?year={holiday.date.year}")


class ProtectedSiteListView(ReferenceReaderMixin, TemplateView):
    """Protected sites used by residence-restriction checks."""

    template_name = "protocols/sites.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        jurisdiction = self.request.GET.get("jurisdiction", "")
        sites = ProtectedSite.objects.order_by("jurisdiction", "kind", "name")
        if jurisdiction:
            sites = sites.filter(jurisdiction=jurisdiction)
        return super().get_context_data(
            sites=sites,
            jurisdiction=jurisdiction,
            can_edit=can_edit_standards(self.request.user),
            **kwargs,
        )


class ProtectedSiteEditView(EditorMixin, FormView):
    """Add or change a protected site."""

    form_class = ProtectedSiteForm
    template_name = "protocols/site_form.html"

    def get_site(self) -> ProtectedSite | None:
        pk = self.kwargs.get("pk")
        return get_object_or_404(ProtectedSite, pk=pk) if pk else None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_site()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(site=self.get_site(), **kwargs)

    def form_valid(self, form: ProtectedSiteForm) -> HttpResponse:
        try:
            services.save_protected_site(self.request.user, form.cleaned_data, self.get_site())
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Protected site saved.")
        return HttpResponseRedirect(reverse("protocols:sites"))


class ProtectedSiteDeleteView(EditorMixin, View):
    """Remove a protected site (POST)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        site = get_object_or_404(ProtectedSite, pk=pk)
        services.remove_protected_site(site, request.user)
        messages.success(request, f"{site.name} removed.")
        return HttpResponseRedirect(reverse("protocols:sites"))
