"""Pagination for the API: page numbers for people, a keyset cursor for incremental sync.

Sync mode (a list called with `?updated_since=`, and `/sync/removed/`) walks rows in
(`<sync field>`, id) order with an opaque cursor that encodes the last row's position, so a
row changed while a client pages moves *ahead* of the cursor and is sent again rather than
skipped. The last page carries `next_since`: the value to pass as `updated_since` (or
`since`) next time. It is the start of this walk minus a safety margin (never earlier than
the `since` asked for), so a row whose transaction committed late is still picked up; rows
may therefore be sent twice — apply them as upserts by id.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

# Longer than any transaction that writes case data may run (they are short, see services).
SYNC_SAFETY_MARGIN = timedelta(minutes=5)


# Lists count their rows exactly up to this many; beyond it `count` is this number and
# `count_exact` is false. Counting every visible row of a statewide table (4 million contacts)
# cost a second per page; counting up to the cap costs a bounded LIMIT scan.
COUNT_CAP = 1000


class CappedPaginator(DjangoPaginator):
    """A Paginator that counts at most COUNT_CAP + 1 rows. Past the cap the page count is
    open-ended: any page number is accepted, a page past the last row is empty (→ 404 from
    DRF, as before), and a full page has a next page."""

    cap = COUNT_CAP

    def __init__(self, *args: Any, columns: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The view's row columns (RestrictedViewSet.row_columns): added to the page's rows
        # only, not to the count nor to the query that picks the page's ids.
        self.columns = columns or {}

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if hasattr(rows, "count") and hasattr(rows, "query"):
            # unordered: any cap + 1 rows will do, so the planner need not walk the ordering
            # index (25 ms for contacts, against ≈1 ms)
            return rows.order_by()[: self.cap + 1].count()
        return len(rows)

    @property
    def exact(self) -> bool:
        return self._counted <= self.cap

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self._counted, self.cap)

    def rows(self, bottom: int, top: int) -> Any:
        """The rows [bottom, top) of the list.

        A queryset that joins related rows (select_related) picks the page's ids first, on its
        own table, with its filters and order, then fetches those rows with the joins:
        `WHERE pk IN (SELECT pk … WHERE <its filters> ORDER BY <its order> LIMIT …)`. Sliced
        directly, PostgreSQL joined every visible row before sorting and keeping the page (a
        partner's 714 cases, 5 joins each: ≈10 ms of a 13 ms query); repeating the filters
        outside the id subquery doubled the planning (docs/performance.md, 11). The ids ARE
        the restricted list's, so the outer query needs no filter of its own."""
        rows = self.object_list
        columns = self.columns
        if not (
            isinstance(rows, QuerySet)
            and (rows.query.select_related or columns)
            and rows.ordered
            and not rows.query.is_sliced
        ):
            return (with_columns(rows, columns) if isinstance(rows, QuerySet) else rows)[bottom:top]
        query = rows.query
        ids = rows.values("pk")[bottom:top]
        if (
            query.annotations
            or query.extra
            or query.distinct
            or query.group_by is not None
            or query.combinator
            or not query.standard_ordering
            or rows._fields is not None
        ):
            # keep what the list computes; filters repeated
            return with_columns(rows.filter(pk__in=ids), columns)
        # Not restricted again on purpose: `ids` is the restricted list's page.
        page = rows.model._base_manager.filter(pk__in=ids)
        page.query.select_related = query.select_related
        page.query.deferred_loading = query.deferred_loading
        page._prefetch_related_lookups = rows._prefetch_related_lookups
        ordering = query.order_by or (rows.model._meta.ordering if query.default_ordering else ())
        return with_columns(page, columns).order_by(*ordering)

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.exact:
            rows = list(self.rows(bottom, bottom + self.per_page + 1))
            if not rows and number > 1:
                raise EmptyPage("That page contains no results")
            page = OpenEndedPage(rows[: self.per_page], number, self)
            page.more = len(rows) > self.per_page
            return page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows(bottom, top), number, self)

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return super().validate_number(number)
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if value < 1:
            raise EmptyPage("That page number is less than 1")
        return value


def with_columns(queryset: Any, columns: dict[str, Any]) -> Any:
    return queryset.annotate(**columns) if columns else queryset


def row_columns_of(view: Any, queryset: Any) -> dict[str, Any]:
    """The view's per-row columns (RestrictedViewSet.row_columns) when `queryset` holds the
    view's own rows; {} for other views and for another model's rows (a case's audit trail,
    paginated by the case viewset)."""
    method = getattr(view, "row_columns", None)
    own = getattr(getattr(view, "queryset", None), "model", None)
    if method is None or own is None or getattr(queryset, "model", None) is not own:
        return {}
    return method()


class OpenEndedPage(DjangoPage):
    more = False

    def has_next(self) -> bool:
        return self.more


def _whole_number(raw: str) -> int:
    """`raw` as an int, or 0 when it is not a whole number ("abc", "1.5")."""
    try:
        return int(raw)
    except ValueError:
        return 0


def requested_page_size(request: Any, name: str, default: int, maximum: int) -> int:
    """The `name` query parameter as a page size: absent → `default`; above `maximum` →
    `maximum` (documented as "at most"); not a whole number of at least 1 → a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    size = _whole_number(raw)
    if size < 1:
        raise ValidationError({name: [f"Enter a whole number from 1 to {maximum} (got {raw!r})."]})
    return min(size, maximum)


class StandardPagination(PageNumberPagination):
    """Page numbers for people; `count` is exact up to COUNT_CAP rows (`count_exact`)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedPaginator

    def get_page_size(self, request: Any) -> int:
        return requested_page_size(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        """`page`: absent → 1; "last" or a whole number of at least 1; anything else is a 400
        naming the parameter (DRF answered a bare 404). A page past the end stays a 404.
        "last" of a list past COUNT_CAP rows is a 400 too: its last page is not known (DRF
        would have served page COUNT_CAP / page size as if it were)."""
        name = self.page_query_param
        raw = request.query_params.get(name)
        if raw in self.last_page_strings and not paginator.exact:
            raise ValidationError(
                {
                    name: [
                        f"This list holds more than {paginator.cap} rows, so its last page is not "
                        "known: follow next, or narrow the list with its filters."
                    ]
                }
            )
        if raw is None or raw == "" or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        number = _whole_number(raw)
        if number < 1:
            valid = 'a whole number of at least 1, or "last"'
            raise ValidationError({name: [f"Enter {valid} (got {raw!r})."]})
        return number

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        # DRF builds the paginator as `django_paginator_class(queryset, page_size)`
        self.django_paginator_class = partial(
            CappedPaginator, columns=row_columns_of(view, queryset)
        )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_exact"] = self.page.paginator.exact
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page = super().get_paginated_response_schema(schema)
        page["properties"]["count"]["description"] = (
            f"Rows in the list, counted exactly up to {COUNT_CAP}; past that it is {COUNT_CAP} "
            "and count_exact is false (page on with next)."
        )
        page["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"False when the list holds more than {COUNT_CAP} rows.",
            "example": True,
        }
        return page


def parse_instant(raw: str, name: str) -> datetime:
    """An ISO 8601 date-time (a naive one is taken in the server's time zone) or a 400."""
    problem = {name: [f"Enter an ISO 8601 date-time, e.g. 2026-03-01T14:30:00Z (got {raw!r})."]}
    try:
        value = parse_datetime(raw.strip().replace(" ", "+")) if raw else None
        if value is None:
            raise ValidationError(problem)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
        return value.astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. 12:99, or out of range once in UTC
        raise ValidationError(problem) from None


class SyncCursorPagination(BasePagination):
    """Keyset pagination on (`field`, id); see the module docstring."""

    page_size = 100
    max_page_size = 500
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self, field: str = "updated_at", since: datetime | None = None) -> None:
        self.field = field
        self.since = since

    # --- cursor ---------------------------------------------------------------------------

    @staticmethod
    def encode(position: tuple[datetime, int], started: datetime) -> str:
        raw = json.dumps({"t": position[0].isoformat(), "i": position[1], "s": started.isoformat()})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, token: str) -> tuple[datetime, int, datetime]:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            t, i, s = parse_datetime(data["t"]), int(data["i"]), parse_datetime(data["s"])
            if t is None or s is None or t.tzinfo is None or s.tzinfo is None:
                raise ValueError
            if not 0 <= i < 2**63:
                raise ValueError
            return t.astimezone(UTC), i, s.astimezone(UTC)
        except (
            ValueError,
            KeyError,
            TypeError,
            OverflowError,
            AttributeError,
            binascii.Error,
            UnicodeDecodeError,
        ):
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None

    def get_page_size(self, request: Any) -> int:
        return requested_page_size(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    # --- pagination -----------------------------------------------------------------------

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.request = request
        size = self.get_page_size(request)
        token = request.query_params.get(self.cursor_query_param)
        if token:
            after_t, after_id, self.started = self.decode(token)
            queryset = queryset.filter(
                Q(**{f"{self.field}__gt": after_t}) | Q(**{self.field: after_t, "pk__gt": after_id})
            )
        else:
            self.started = timezone.now()
        queryset = with_columns(queryset, row_columns_of(view, queryset))
        rows = list(queryset.order_by(self.field, "pk")[: size + 1])
        self.has_more = len(rows) > size
        self.rows = rows[:size]
        return self.rows

    def next_link(self) -> str | None:
        if not self.has_more:
            return None
        last = self.rows[-1]
        token = self.encode((getattr(last, self.field), last.pk), self.started)
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, token)

    def next_since(self) -> str | None:
        if self.has_more:
            return None
        mark = self.started - SYNC_SAFETY_MARGIN
        if self.since is not None and self.since > mark:
            mark = self.since
        return mark.isoformat()

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self.next_link(),
                "previous": None,
                "next_since": self.next_since(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": None,
                },
                "previous": {"type": "string", "nullable": True, "format": "uri", "example": None},
                "next_since": {
                    "type": "string",
                    "nullable": True,
                    "format": "date-time",
                    "description": "On the last page: pass it as `since`/`updated_since` next time.",
                    "example": "2026-03-02T09:55:00+00:00",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


def sync_field_of(view: Any) -> str | None:
    """The timestamp a view's rows are synced by (`updated_at`), or None if it has none."""
    field = getattr(view, "sync_field", "updated_at")
    queryset = getattr(view, "queryset", None)
    if queryset is None or not field:
        return None
    names = {f.name for f in queryset.model._meta.get_fields()}
    return field if field in names else None


class SyncAwarePagination(StandardPagination):
    """Page numbers, or — when the request carries `updated_since` — the sync cursor.

    The `updated_since` filter itself (and its validation) is sartcm.api.sync.UpdatedSinceFilter,
    which leaves the parsed instant on the request as `sync_since`.
    """

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        since = getattr(request, "sync_since", None)
        if since is None:
            self.sync = None
            return super().paginate_queryset(queryset, request, view)
        self.sync = SyncCursorPagination(sync_field_of(view) or "updated_at", since)
        return self.sync.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        if self.sync is not None:
            return self.sync.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["results"]  # `count` only in page-number mode
        page["properties"]["next_since"] = SyncCursorPagination().get_paginated_response_schema(
            schema
        )["properties"]["next_since"]
        return page

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        if sync_field_of(view) is not None:
            cursor = SyncCursorPagination().get_schema_operation_parameters(view)[0]
            cursor["description"] = "With `updated_since`: the position from a `next` link."
            params.append(cursor)
        return params


UPDATED_SINCE = "updated_since"


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=`: rows changed at or after the instant, walked by the sync cursor."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get(UPDATED_SINCE)
        if raw is None:
            return queryset
        field = sync_field_of(view)
        if field is None:
            raise ValidationError(
                {
                    UPDATED_SINCE: [
                        "This resource is reference data without change times: "
                        "fetch the full list instead."
                    ]
                }
            )
        since = parse_instant(raw, UPDATED_SINCE)
        request.sync_since = since  # read by SyncAwarePagination
        return queryset.filter(**{f"{field}__gte": since})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if sync_field_of(view) is None:
            return []
        return [
            {
                "name": UPDATED_SINCE,
                "required": False,
                "in": "query",
                "description": "Incremental sync: only rows changed at or after this instant "
                "(ISO 8601), oldest first, paged by cursor; the last page's `next_since` is "
                "the value to send next time. Deletions and revocations: /api/v1/sync/removed/.",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


__all__ = [
    "SYNC_SAFETY_MARGIN",
    "StandardPagination",
    "SyncAwarePagination",
    "SyncCursorPagination",
    "UPDATED_SINCE",
    "UpdatedSinceFilter",
    "parse_instant",
]
