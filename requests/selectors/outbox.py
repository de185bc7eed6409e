"""What the outbox holds, for the health check and `manage.py outbox_status`."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from ..models import Notification


def outbox_counts() -> dict[str, object]:
    """Return the outbox's rows by state and the age in seconds of the oldest unsent one."""
    counts = dict.fromkeys(Notification.State.values, 0)
    for row in Notification.objects.values("state").annotate(count=Count("id")).order_by():
        counts[row["state"]] = row["count"]
    oldest = (
        Notification.objects.filter(
            state__in=[Notification.State.PENDING, Notification.State.SENDING]
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"counts": counts, "oldest_unsent_seconds": age}
