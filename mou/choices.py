from django.db import models


class MOUStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_SIGNATURES = "awaiting_signatures", "Awaiting signatures"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


class TermScope(models.TextChoices):
    ASSIGNED = "assigned", "Assigned cases (recipient on the case team)"
    ALL = "all", "All cases of the provider"
