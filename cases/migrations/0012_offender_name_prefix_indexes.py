"""Search by prefix walks these in order (cases.search, docs/performance.md design change 10).

Built CONCURRENTLY (non-atomic migration): the offenders table stays writable meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Collate, Lower


def name_index(name: str, matched: str, other: str) -> AddIndexConcurrently:
    """(lower(matched) COLLATE "C", lower(other) COLLATE "C", id), as in Offender.Meta."""
    return AddIndexConcurrently(
        model_name="offender",
        index=models.Index(
            Collate(Lower(matched), "C"), Collate(Lower(other), "C"), models.F("id"), name=name
        ),
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0011_alert_sweep_indexes"),
    ]

    operations = [
        name_index("offender_first_lower", "first_name", "last_name"),
        name_index("offender_last_lower", "last_name", "first_name"),
    ]
