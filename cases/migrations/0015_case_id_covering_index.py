"""(id) INCLUDE (updated_at, offender_id) on cases, in place of (id) INCLUDE (updated_at): a
case-team partner's search reads the offender ids of its cases index-only too
(docs/performance.md, design change 22). The new index is built CONCURRENTLY (non-atomic
migration) before the old one is dropped, so the cases table stays writable and a partner's
list keeps an index-only path throughout.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0014_case_id_updated_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["id"], include=("updated_at", "offender"), name="case_id_covering_idx"
            ),
        ),
        RemoveIndexConcurrently(model_name="case", name="case_id_updated_idx"),
    ]
