"""The Celery application: `celery -A secondopinion worker` and `celery -A secondopinion beat`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secondopinion.settings")

app = Celery("secondopinion")
# Every CELERY_* setting in settings.py configures the app; nothing is set here.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["requests.imaging"])
