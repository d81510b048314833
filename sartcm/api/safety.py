"""Safe writes for agency systems: ETag / If-Match and Idempotency-Key.

- Every detail response carries an ETag; a PUT/PATCH/DELETE with a stale If-Match gets
  412 Precondition Failed and changes nothing (checked under a row lock, in the transaction).
- A POST with an Idempotency-Key is performed once per (user, key): a retry replays the stored
  response; the same key with a different body is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from sartcm.models import IdempotencyRecord


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it (If-Match does not match its ETag). Fetch it again and retry."
    default_code = "precondition_failed"


class IdempotencyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


def etag_for(instance: Any) -> str:
    """A strong validator: the row's version counter (`"3"`), else a hash of its last-change
    time, else (a row with neither) a hash of all its column values.

    A model whose `version` is not a row-change counter sets `ETAG_COUNTER = None`.
    An ETag only has to be unique among the versions of one resource (one URL).
    """
    counter = getattr(type(instance), "ETAG_COUNTER", "version")
    token: Any = getattr(instance, counter, None) if counter else None
    if token is not None:
        return f'"{token}"'
    updated = getattr(instance, "updated_at", None)
    if updated is not None:
        token = updated.isoformat()
    else:  # no change time: the row's content itself
        token = json.dumps(
            [f.value_from_object(instance) for f in instance._meta.concrete_fields], default=str
        )
    raw = f"{instance._meta.label_lower}:{instance.pk}:{token}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def if_match_ok(header: str | None, etag: str) -> bool:
    if not header:
        return True
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or etag in candidates or f"W/{etag}" in candidates


class ETagMixin:
    """For RestrictedViewSet: ETag on reads, If-Match on writes, version bump on update."""

    def locked_object(self) -> Any:
        """get_object() under SELECT ... FOR UPDATE (call inside a transaction)."""
        queryset = self.filter_queryset(self.get_queryset()).select_for_update(of=("self",))  # type: ignore[attr-defined]
        lookup = self.lookup_url_kwarg or self.lookup_field  # type: ignore[attr-defined]
        obj = queryset.filter(**{self.lookup_field: self.kwargs[lookup]}).first()  # type: ignore[attr-defined]
        if obj is None:
            from django.http import Http404

            raise Http404
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj

    @contextmanager
    def guarded_write(self) -> Iterator[Any]:
        """For a custom update/delete: the object, locked and checked against If-Match (412
        when stale), inside one transaction; the response carries its new ETag."""
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            yield instance
        try:
            instance.refresh_from_db()
        except ObjectDoesNotExist:  # deleted
            return
        self._etag_instance = instance

    def check_if_match(self, instance: Any) -> None:
        if not if_match_ok(self.request.headers.get("If-Match"), etag_for(instance)):  # type: ignore[attr-defined]
            raise PreconditionFailed

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        instance = getattr(self, "_etag_instance", None)
        if instance is not None and 200 <= response.status_code < 300:
            response["ETag"] = etag_for(instance)
        return response


def request_fingerprint(request: Any) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def storable(value: Any) -> Any:
    """JSON PostgreSQL can store: NUL characters (which jsonb refuses) and lone surrogates
    (which UTF-8 cannot encode) — both of which a client can echo back through field names in
    error bodies — are replaced."""
    if isinstance(value, str):
        cleaned = value.replace("\x00", "\ufffd")
        try:
            cleaned.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from a JSON body
            cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
        return cleaned
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


class IdempotentCreateMixin:
    """Every POST (create and actions) with Idempotency-Key: one effect per (user, key), a
    retry replays the first response; the same key with another request is 422."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # after authentication: wrap the handler dispatch() is about to call
        handler = getattr(self, "post", None)
        if request.method == "POST" and handler and request.headers.get("Idempotency-Key"):
            self.post = lambda req, *a, **kw: self.idempotent(req, lambda: handler(req, *a, **kw))

    def idempotent(self, request: Any, run: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if len(key) > 200:
            raise ValidationError({"Idempotency-Key": ["At most 200 characters."]})
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        request_hash=fingerprint,
                    )
            except IntegrityError:
                # A concurrent twin blocks on the unique index until the first commits; then
                # we read its stored response.
                record = IdempotencyRecord.objects.select_for_update().get(
                    user=request.user, key=key
                )
                if record.request_hash != fingerprint:
                    raise IdempotencyConflict from None
                return Response(
                    record.response_body,
                    status=record.response_status,
                    headers={"Idempotent-Replayed": "true"},
                    # a replayed refusal keeps its problem+json type
                    content_type="application/problem+json"
                    if (record.response_status or 0) >= 400
                    else None,
                )
            response = run()
            record.response_status = response.status_code
            record.response_body = storable(json.loads(json.dumps(response.data, default=str)))
            record.save(update_fields=["response_status", "response_body"])
            return response
