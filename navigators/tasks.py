"""Celery tasks of the navigators app."""

from __future__ import annotations

from celery import shared_task

from .services import case_auto_assign, case_auto_assign_requeue


@shared_task(acks_late=True)
def case_auto_assign_task(case_id: int) -> int | None:
    """Assign a new request to a fitting navigator; safe to run twice."""
    assignment = case_auto_assign(case_id=case_id)
    return assignment.navigator_id if assignment else None


@shared_task
def case_auto_assign_requeue_task() -> int:
    """Try again to assign new cases still waiting (a lost task, or capacity freed up)."""
    return case_auto_assign_requeue()
