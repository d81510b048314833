"""(id) INCLUDE (updated_at) on cases: a partner's case list picks its page by updated_at
among the ids its grants give, index-only (docs/performance.md, "Still missed").

Built CONCURRENTLY (non-atomic migration): the cases table stays writable meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0013_alert_escalated_to_partial_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["id"], include=("updated_at",), name="case_id_updated_idx"
            ),
        ),
    ]
