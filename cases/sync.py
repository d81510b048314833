"""Incremental sync support for case data: a change to a record that the API shows nested in
its parent (a monthly report inside its enrollment, a progress note inside its goal) moves the
parent's `updated_at`, so `?updated_since=` on the parent's endpoint re-sends it.

Connected in CasesConfig.ready. One UPDATE per child write; `.update()` on the children
themselves bypasses signals, so services that do that set the parent's `updated_at` too.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

# child model name -> the foreign key naming the parent whose representation nests it.
# Not board votes: they are written with their decision (same transaction, so the decision's
# updated_at already covers them) and both are immutable — PostgreSQL refuses any UPDATE of a
# recorded decision, so touching it after a vote is saved would fail the save.
NESTED_IN_PARENT: dict[str, str] = {
    "treatmentreport": "enrollment",
    "progressnote": "goal",
    "householdmember": "plan",
    "plancondition": "plan",
    "registrationevent": "registration",
    "addressverification": "registration",
}


def touch_parent(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Set the parent's updated_at to now (SQL UPDATE; no read-modify-write)."""
    if kwargs.get("raw"):
        return  # loaddata
    field_name = NESTED_IN_PARENT[sender._meta.model_name]
    parent_model = sender._meta.get_field(field_name).related_model
    parent_id = getattr(instance, f"{field_name}_id", None)
    if parent_id is not None:
        parent_model.objects.filter(pk=parent_id).update(updated_at=timezone.now())


def connect() -> None:
    from django.apps import apps

    for model_name in NESTED_IN_PARENT:
        model = apps.get_model("cases", model_name)
        post_save.connect(touch_parent, sender=model, dispatch_uid=f"sync-touch-{model_name}")
        post_delete.connect(touch_parent, sender=model, dispatch_uid=f"sync-touch-del-{model_name}")
