"""The offender search page (the nav search box submits here) and its API endpoint.

Restriction, field allow-lists and the audit trail are in `cases.search.search_offenders`;
these views only read the query and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api import examples
from cases.search import MAX_QUERY_LENGTH, MIN_QUERY_LENGTH, RESULT_FIELDS, search_offenders
from sartcm.api.viewsets import IsActiveStaff


class SearchView(LoginRequiredMixin, TemplateView):
    """Search offenders by name, alias, date of birth or identifier (GET ?q=)."""

    template_name = "cases/search/search.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "")
        context["q"] = q[:MAX_QUERY_LENGTH]
        context["min_length"] = MIN_QUERY_LENGTH
        context["outcome"] = search_offenders(self.request.user, q) if q.strip() else None
        return context


class SearchCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_number = serializers.CharField()


class SearchResultSerializer(serializers.Serializer):
    """One person found. Identity fields appear only where the caller's terms share them."""

    id = serializers.IntegerField()
    first_name = serializers.CharField(required=False)
    middle_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False)
    date_of_birth = serializers.DateField(required=False)
    sex = serializers.CharField(required=False)
    state_id = serializers.CharField(required=False)
    doc_number = serializers.CharField(required=False)
    fbi_number = serializers.CharField(required=False)
    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    cases = SearchCaseSerializer(many=True)


# One envelope object, although it answers the viewset's `list` action (which the schema
# generator would otherwise document as an array of envelopes).
@extend_schema_serializer(many=False)
class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    results = SearchResultSerializer(many=True)


class SearchViewSet(viewsets.ViewSet):
    """GET /api/v1/search/?q= — the same search as the page, restricted the same way."""

    permission_classes = [IsActiveStaff]

    @examples.SEARCH
    @extend_schema(
        operation_id="search_offenders",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Name parts (any order, partial, typos), alias, date of birth "
                "(YYYY-MM-DD or MM/DD/YYYY) or identifier (state ID, DOC, FBI).",
            )
        ],
        responses=SearchResponseSerializer,
    )
    def list(self, request: Request) -> Response:
        q = str(request.query_params.get("q", ""))
        outcome = search_offenders(request.user, q)
        results = []
        for result in outcome.results:
            row: dict[str, Any] = {"id": result.offender_id}
            row.update({f: result.fields[f] for f in RESULT_FIELDS if f in result.fields})
            if result.aliases:
                row["aliases"] = result.aliases
            row["cases"] = [{"id": c.pk, "case_number": c.case_number} for c in result.cases]
            results.append(row)
        data = {"query": outcome.query.raw, "count": outcome.count, "results": results}
        return Response(SearchResponseSerializer(data).data)
