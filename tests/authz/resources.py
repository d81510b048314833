"""The registry of resources the authorization matrix and the leak test cover.

A new resource joins every persona × channel check by adding ONE `Resource(...)` row to
RESOURCES: its record type, serializer, a factory for a sample object on the world's case,
its API route name, a write payload, and (if it has them) its page routes. The expected
fields come from the personas' `sees` for the record type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse

from agencies.choices import RecordType
from cases.api.access import CaseSerializer, OffenderSerializer
from cases.models import Case, Offender
from tests.authz.personas import Every, Persona
from tests.authz.world import World


@dataclass(frozen=True)
class Resource:
    name: str
    record_type: str
    serializer: type
    sample: Callable[[World], models.Model]  # the sample object (on the world's case)
    api_basename: str  # router basename: <basename>-list, -detail, -export
    write: dict[str, Any]  # a PATCH with one vocabulary field
    read_back: Callable[[models.Model], Any]  # the written value, re-read from the database
    page_list: str | None = None  # url name of a list page showing the object
    page_detail: str | None = None  # url name of its detail page (pk argument)
    page_text: Callable[[models.Model], str] = lambda obj: str(obj.pk)  # shows it's listed
    always: tuple[str, ...] = ("id",)
    extra_keys: Callable[[Persona], set[str]] = field(default=lambda persona: set())

    @property
    def api_fields(self) -> set[str]:
        return set(self.serializer.Meta.fields)

    def expected_keys(self, persona: Persona) -> set[str] | None:
        """The exact keys of the API representation for `persona`; None: invisible."""
        fields = persona.fields(self.record_type)
        if fields is None:
            return None
        names = self.api_fields if isinstance(fields, Every) else self.api_fields & set(fields)
        return names | set(self.always) | self.extra_keys(persona)

    def api_list(self) -> str:
        return reverse(f"{self.api_basename}-list")

    def api_detail(self, obj: models.Model) -> str:
        return reverse(f"{self.api_basename}-detail", args=[obj.pk])

    def api_export(self) -> str:
        return reverse(f"{self.api_basename}-export")

    def channels(self) -> list[str]:
        found = ["api_list", "api_detail", "api_write", "export"]
        if self.page_list:
            found.append("page_list")
        if self.page_detail:
            found.append("page_detail")
        return found


def _offender_link(persona: Persona) -> set[str]:
    # a case links its offender only for callers who may see the offender's identity
    return {"offender"} if persona.fields(RecordType.IDENTITY) is not None else set()


RESOURCES: list[Resource] = [
    Resource(
        name="case",
        record_type=RecordType.STATUS,
        serializer=CaseSerializer,
        sample=lambda world: world.case,
        api_basename="case",
        write={"status": "absconded"},
        read_back=lambda case: Case.objects.unrestricted().get(pk=case.pk).status,
        page_list="cases:case_list",
        page_detail="cases:case_detail",
        page_text=lambda case: case.case_number,
        always=("id", "case_number"),
        extra_keys=_offender_link,
    ),
    Resource(
        name="offender",
        record_type=RecordType.IDENTITY,
        serializer=OffenderSerializer,
        sample=lambda world: world.offender,
        api_basename="offender",
        write={"eye_color": "green"},
        read_back=lambda offender: Offender.objects.unrestricted().get(pk=offender.pk).eye_color,
    ),
]

BY_NAME = {resource.name: resource for resource in RESOURCES}
