"""Pages of the mou app: list, detail, draft/edit, terms, send, sign, amend, terminate,
preview. Every page fetches the MOU through `MOU.objects.restrict(user, "view")` (404 for an
MOU of which the user's agency is not a party); the services decide who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from agencies.choices import RecordType, Role
from agencies.querysets import staff_of
from agencies.vocabulary import SHAREABLE_FIELDS
from mou import services
from mou.choices import MOUStatus
from mou.forms import MOUForm, TermForm, TerminateForm, apply_errors
from mou.models import MOU, DataSharingTerm, Signature
from sartcm.pages import RestrictedDetailView, RestrictedListView


def visible_mou(request: HttpRequest, pk: int) -> MOU:
    return get_object_or_404(MOU.objects.restrict(request.user, "view"), pk=pk)


def to_detail(mou: MOU) -> HttpResponseRedirect:
    return redirect("mou:detail", pk=mou.pk)


def vocabulary() -> list[tuple[str, str, str]]:
    return [(rt, rt.label, ", ".join(SHAREABLE_FIELDS[rt])) for rt in RecordType]


class MOUListView(RestrictedListView):
    """The MOUs the user's agency is party to."""

    model = MOU
    template_name = "mou/mou_list.html"
    context_object_name = "mous"

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("parties")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        staff = staff_of(self.request.user)
        context["can_draft"] = staff is not None and staff.has_role(Role.AGENCY_ADMIN)
        return context


class MOUDetailView(RestrictedDetailView):
    """An MOU: parties and signatures, the terms in force, a pending amendment, history."""

    model = MOU
    template_name = "mou/mou_detail.html"
    context_object_name = "mou"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        mou: MOU = self.object
        staff = staff_of(self.request.user)
        terms = list(mou.terms.select_related("provider", "recipient").order_by("version", "pk"))
        signing = services.signing_version(mou)
        signed = {
            (s.agency_id, s.terms_version): s
            for s in Signature.objects.filter(mou=mou).select_related("signed_by__user")
        }
        parties = []
        for row in mou.party_rows.select_related("agency", "signatory__user"):
            parties.append(
                {
                    "row": row,
                    "signed": signed.get((row.agency_id, mou.terms_version)),
                    "signed_pending": signed.get((row.agency_id, signing)) if signing else None,
                }
            )
        is_admin = staff is not None and staff.has_role(Role.AGENCY_ADMIN)
        context.update(
            parties=parties,
            current_terms=[
                t for t in terms if t.version == mou.terms_version and t.superseded_at is None
            ],
            pending_terms=[t for t in terms if t.version > mou.terms_version],
            history=[t for t in terms if t.superseded_at is not None],
            signing_version=signing,
            editable_version=services.editable_version(mou),
            is_admin=is_admin,
            can_sign=staff is not None
            and staff.is_signatory
            and signing is not None
            and not signed.get((staff.agency_id, signing)),
            can_terminate=is_admin and mou.status in services.TERMINABLE,
        )
        return context


class MOUCreateView(LoginRequiredMixin, View):
    """Draft a new MOU (agency administrators)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            staff = staff_of(request.user)
            if staff is None or not staff.has_role(Role.AGENCY_ADMIN):
                raise PermissionDenied("Only agency administrators draft MOUs.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = MOUForm(agency=staff_of(request.user).agency)
        return render(request, "mou/mou_form.html", {"form": form, "creating": True})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MOUForm(request.POST, request.FILES, agency=staff_of(request.user).agency)
        if form.is_valid():
            data = form.cleaned_data
            try:
                mou = services.create_mou(
                    request.user,
                    title=data["title"],
                    purpose=data["purpose"],
                    effective_date=data["effective_date"],
                    expiration_date=data["expiration_date"],
                    parties=data["party_specs"],
                    document=data["document"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "MOU drafted. Add its data-sharing terms next.")
                return redirect("mou:terms", pk=mou.pk)
        return render(request, "mou/mou_form.html", {"form": form, "creating": True}, status=400)


class MOUEditView(LoginRequiredMixin, View):
    """Edit a draft's text, dates, document and parties."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        services.require_admin(request.user, mou)
        form = MOUForm(initial=MOUForm.initial_for(mou), agency=mou.drafted_by)
        return render(request, "mou/mou_form.html", {"form": form, "mou": mou})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        form = MOUForm(request.POST, request.FILES, agency=mou.drafted_by)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_mou(
                    request.user,
                    mou,
                    title=data["title"],
                    purpose=data["purpose"],
                    effective_date=data["effective_date"],
                    expiration_date=data["expiration_date"],
                    clear_expiration=data["expiration_date"] is None,
                    parties=data["party_specs"],
                    document=data["document"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "MOU updated.")
                return to_detail(mou)
        return render(request, "mou/mou_form.html", {"form": form, "mou": mou}, status=400)


def save_term(
    request: HttpRequest,
    form: TermForm,
    mou: MOU,
    save: Callable[..., Any],
    message: str,
) -> HttpResponse | None:
    """Add or change a term from a valid form through `save(**values)`: a redirect to the
    terms page, or None with the form invalid or the service's errors put on it."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        save(
            provider=data["provider"],
            recipient=data["recipient"],
            record_type=data["record_type"],
            fields=data["shared_fields"],
            actions=data["actions"],
            scope=data["scope"],
        )
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, message)
    return redirect("mou:terms", pk=mou.pk)


class MOUTermsView(LoginRequiredMixin, View):
    """The terms of the editable version (a draft, or a pending amendment), with a form to add
    one and the list of valid fields per record type."""

    def render_page(
        self, request: HttpRequest, mou: MOU, form: TermForm, status: int = 200
    ) -> HttpResponse:
        version = services.editable_version(mou)
        terms = (
            DataSharingTerm.objects.filter(mou=mou, version=version, superseded_at__isnull=True)
            .select_related("provider", "recipient")
            .order_by("recipient__name", "record_type")
            if version is not None
            else []
        )
        return render(
            request,
            "mou/mou_terms.html",
            {
                "mou": mou,
                "form": form,
                "terms": terms,
                "version": version,
                "vocabulary": vocabulary(),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        services.require_admin(request.user, mou)
        return self.render_page(request, mou, TermForm(mou=mou))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        form = TermForm(request.POST, mou=mou)
        saved = save_term(
            request,
            form,
            mou,
            lambda **values: services.add_term(request.user, mou, **values),
            "Term added.",
        )
        return saved or self.render_page(request, mou, form, status=400)


class TermEditView(LoginRequiredMixin, View):
    """Change one term of the editable version."""

    def term(self, request: HttpRequest, pk: int, term_pk: int) -> tuple[MOU, DataSharingTerm]:
        mou = visible_mou(request, pk)
        return mou, get_object_or_404(DataSharingTerm, pk=term_pk, mou=mou)

    def get(self, request: HttpRequest, pk: int, term_pk: int) -> HttpResponse:
        mou, term = self.term(request, pk, term_pk)
        services.require_admin(request.user, mou)
        form = TermForm(
            mou=mou,
            initial={
                "provider": term.provider_id,
                "recipient": term.recipient_id,
                "record_type": term.record_type,
                "shared_fields": ", ".join(term.fields),
                "actions": term.actions,
                "scope": term.scope,
            },
        )
        return self.render_form(request, mou, term, form)

    def render_form(
        self,
        request: HttpRequest,
        mou: MOU,
        term: DataSharingTerm,
        form: TermForm,
        status: int = 200,
    ) -> HttpResponse:
        return render(
            request,
            "mou/term_form.html",
            {"mou": mou, "term": term, "form": form, "vocabulary": vocabulary()},
            status=status,
        )

    def post(self, request: HttpRequest, pk: int, term_pk: int) -> HttpResponse:
        mou, term = self.term(request, pk, term_pk)
        form = TermForm(request.POST, mou=mou)
        saved = save_term(
            request,
            form,
            mou,
            lambda **values: services.update_term(request.user, term, **values),
            "Term updated.",
        )
        return saved or self.render_form(request, mou, term, form, status=400)


class TermDeleteView(LoginRequiredMixin, View):
    """Remove a term from the editable version (POST)."""

    def post(self, request: HttpRequest, pk: int, term_pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        term = get_object_or_404(DataSharingTerm, pk=term_pk, mou=mou)
        try:
            services.remove_term(request.user, term)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Term removed.")
        return redirect("mou:terms", pk=mou.pk)


class MOUActionView(LoginRequiredMixin, View):
    """A one-button transition (POST): send for signature, start or discard an amendment."""

    action: str = ""
    done: str = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        try:
            getattr(services, self.action)(request.user, mou)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return to_detail(mou)
        messages.success(request, self.done)
        if self.action == "start_amendment":
            return redirect("mou:terms", pk=mou.pk)
        return to_detail(mou)


class MOUSendView(MOUActionView):
    """draft → awaiting signatures."""

    action, done = "send_for_signature", "Sent for signature."


class MOUAmendView(MOUActionView):
    """Start an amendment of an active MOU (a new terms version to edit and sign)."""

    action, done = "start_amendment", "Amendment started: edit the terms, then each party signs."


class MOUDiscardAmendmentView(MOUActionView):
    """Drop a pending amendment."""

    action, done = "discard_amendment", "Amendment discarded."


class MOUSignView(LoginRequiredMixin, View):
    """A party's signatory reviews the version awaiting signature and signs it."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        version = services.signing_version(mou)
        terms = (
            DataSharingTerm.objects.filter(mou=mou, version=version, superseded_at__isnull=True)
            .select_related("provider", "recipient")
            .order_by("recipient__name", "record_type")
            if version
            else []
        )
        return render(
            request, "mou/mou_sign.html", {"mou": mou, "version": version, "terms": terms}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        try:
            signature = services.sign(request.user, mou)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return to_detail(mou)
        mou.refresh_from_db()
        note = f"Signed for {signature.agency.short_name}."
        if mou.status == MOUStatus.ACTIVE and signature.terms_version == mou.terms_version:
            note += " The MOU is in force."
        messages.success(request, note)
        return to_detail(mou)


class MOUTerminateView(LoginRequiredMixin, View):
    """Terminate with a reason; what the MOU granted is revoked at once."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        services.require_admin(request.user, mou)
        return render(request, "mou/mou_terminate.html", {"mou": mou, "form": TerminateForm()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        form = TerminateForm(request.POST)
        if form.is_valid():
            try:
                services.terminate(request.user, mou, form.cleaned_data["reason"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "MOU terminated; the access it granted is revoked.")
                return to_detail(mou)
        return render(request, "mou/mou_terminate.html", {"mou": mou, "form": form}, status=400)


class MOUPreviewView(LoginRequiredMixin, View):
    """What each recipient would gain: record types, fields and cases covered today."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mou = visible_mou(request, pk)
        version = request.GET.get("version")
        chosen = int(version) if version and version.isdigit() else None
        return render(
            request,
            "mou/mou_preview.html",
            {"mou": mou, "recipients": services.preview(mou, chosen), "version": chosen},
        )
