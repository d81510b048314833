"""Report pages: filters, charts (drawn by static/js/reports.js), tables, CSV exports.

Who may report on which agencies is decided once, in cases.reports (`may_report`,
`reportable_agencies`, `may_export_rows`); anyone else gets 404. Aggregate tables download at
once as CSV; the case-level export is built in the background (cases.tasks_reports) with a
progress bar, and only the person who asked may download it. Every export is audited.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.text import slugify
from django.views import View
from django.views.generic import DetailView, TemplateView

from cases import reports
from cases.forms.reports import ReportFilterForm
from cases.tasks_reports import KIND_CASES, build_report_export
from sartcm import audit
from sartcm.models import AuditAction, ReportExport, ReportExportStatus

RECENT_EXPORTS = 10


class ReportAccessMixin(LoginRequiredMixin):
    """Reports are for REPORT_ROLES; anyone else gets 404 (as if there were nothing here)."""

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not reports.may_report(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def bound_filter_form(request: HttpRequest, data: Any) -> ReportFilterForm:
    """The filter form bound to `data`, or to the defaults when no filter was given."""
    user = request.user
    if not any(k in data for k in ("agency", "start", "end")):
        defaults = reports.default_filters(user)
        data = {"start": defaults.start.strftime("%Y-%m"), "end": defaults.end.strftime("%Y-%m")}
    return ReportFilterForm(data, user=user)


class ReportIndexView(ReportAccessMixin, TemplateView):
    """The list of reports and the user's recent exports."""

    template_name = "cases/reports/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reports"] = list(reports.REPORTS.values())
        context["exports"] = ReportExport.objects.restrict(self.request.user, "view")[
            :RECENT_EXPORTS
        ]
        context["statewide"] = reports.is_statewide(self.request.user)
        return context


class ReportMixin(ReportAccessMixin):
    kwargs: dict[str, Any]

    @cached_property
    def definition(self) -> reports.ReportDef:
        definition = reports.REPORTS.get(self.kwargs["report"])
        if definition is None:
            raise Http404
        return definition


class ReportView(ReportMixin, TemplateView):
    """One report: filters, then for each table a chart and the table (its accessible form)."""

    template_name = "cases/reports/report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = bound_filter_form(self.request, self.request.GET)
        tables: list[reports.Table] = []
        if form.is_valid():
            tables = self.definition.build(form.filters())
        context.update(
            report=self.definition,
            form=form,
            tables=tables,
            query=filter_query(form),
            case_export=self.definition.case_export and reports.may_export_rows(self.request.user),
        )
        return context


def filter_query(form: ReportFilterForm) -> str:
    """The filters as a query string (for the CSV links)."""
    return urlencode({k: form.data.get(k) for k in ("agency", "start", "end") if form.data.get(k)})


class ReportCSVView(ReportMixin, View):
    """One aggregate table as CSV (formula-safe), at once; audited as an export."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = bound_filter_form(request, request.GET)
        if not form.is_valid():
            raise Http404
        filters = form.filters()
        table = next(
            (t for t in self.definition.build(filters) if t.key == kwargs["table"]),
            None,
        )
        if table is None:
            raise Http404
        audit.record(
            request.user,
            AuditAction.EXPORT,
            object_type="cases.report",
            object_id=table.key,
            detail=f"CSV of {table.caption}: {len(table.rows)} row(s); {filters.as_params()}",
        )
        response = HttpResponse(reports.table_csv(table), content_type="text/csv; charset=utf-8")
        name = f"{slugify(table.key)}-{filters.start:%Y-%m}-{filters.end:%Y-%m}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ExportCreateView(ReportMixin, View):
    """Start a background export (POST): the case-level rows of a report."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (self.definition.case_export and reports.may_export_rows(request.user)):
            raise Http404  # analysts never get rows
        form = bound_filter_form(request, request.POST)
        if not form.is_valid():
            raise Http404
        filters = form.filters()
        with transaction.atomic():
            export = ReportExport.objects.create(
                requested_by=request.user,
                kind=KIND_CASES,
                title=f"{self.definition.title} by case, {filters.start:%Y-%m}",
                params={"report": self.definition.key, "filters": filters.as_params()},
            )
            audit.record(
                request.user,
                AuditAction.EXPORT,
                export,
                detail=f"Export requested: {export.title}",
            )
            transaction.on_commit(lambda: build_report_export.delay(str(export.pk)))
        return redirect("cases:report-export", pk=export.pk)


class MyExportMixin(LoginRequiredMixin):
    """An export of the signed-in person (anyone else's: 404)."""

    request: HttpRequest

    def get_queryset(self) -> Any:
        return ReportExport.objects.restrict(self.request.user, "view")


class ExportStatusView(MyExportMixin, DetailView):
    """The export's progress bar (htmx polls the fragment) and, when done, the download link."""

    context_object_name = "export"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") == "true":
            return ["cases/reports/_export_progress.html"]
        return ["cases/reports/export.html"]


class ExportDownloadView(MyExportMixin, View):
    """The finished file, for the requester only; every download is audited."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        export = get_object_or_404(
            self.get_queryset(), pk=kwargs["pk"], status=ReportExportStatus.DONE
        )
        if not export.file:
            raise Http404
        audit.record(
            request.user,
            AuditAction.EXPORT,
            export,
            detail=f"Export downloaded: {export.title}, {export.row_count} row(s)",
        )
        name = f"{slugify(export.title)}.csv"
        return FileResponse(
            export.file.open("rb"), as_attachment=True, filename=name, content_type="text/csv"
        )
