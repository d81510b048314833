"""Receivers that keep derived access state in step with MOUs and case teams.

- An MOU's status or terms changed (sent by the mou app after commit): re-sync the grants of
  the MOU's party agencies.
- A case was created or its lead agency changed: re-sync that case.
- A case-team assignment was saved or deleted: re-sync that case for that agency.

Case and assignment changes re-sync inside the transaction that made them, so the scope
re-check of a write (and the rest of the request) already sees the new standing.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cases.access import count_coverage, revoke_on_lead_change, sync_grants
from cases.models import Case, CaseAssignment
from mou.services import register_coverage_counter
from mou.signals import mou_access_changed
from sartcm import audit

register_coverage_counter(count_coverage)


def _case_lead_agencies(case_ids: Any) -> dict[int, int]:
    return dict(
        Case.objects.unrestricted().filter(pk__in=case_ids).values_list("pk", "lead_agency_id")
    )


# Disseminations: the audit trail asks who leads a case, without importing the cases app.
audit.set_case_owner_lookup(_case_lead_agencies)


@receiver(mou_access_changed, dispatch_uid="cases_sync_on_mou_change")
def sync_on_mou_change(sender: Any, mou_id: int, reason: str = "", **kwargs: Any) -> None:
    from mou.models import MOUParty

    parties = list(MOUParty.objects.filter(mou_id=mou_id).values_list("agency_id", flat=True))
    if parties:
        sync_grants(agency_ids=parties, reason=f"MOU {mou_id} {reason}".strip())


@receiver(post_save, sender=Case, dispatch_uid="cases_sync_on_case_save")
def sync_on_case_save(sender: Any, instance: Case, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_loaded_lead_agency_id", None)
    if created or before != instance.lead_agency_id:
        reason = "case created" if created else "lead agency changed"
        sync_grants(case_ids=[instance.pk], reason=reason)
        if not created:
            revoke_on_lead_change(instance.pk, before)
    instance._loaded_lead_agency_id = instance.lead_agency_id  # type: ignore[attr-defined]


@receiver(post_save, sender=CaseAssignment, dispatch_uid="cases_sync_on_assignment_save")
@receiver(post_delete, sender=CaseAssignment, dispatch_uid="cases_sync_on_assignment_delete")
def sync_on_assignment_change(sender: Any, instance: CaseAssignment, **kwargs: Any) -> None:
    # the whole case (not just this agency): cheap, and right even if the agency was changed
    sync_grants(case_ids=[instance.case_id], reason="case team changed")
