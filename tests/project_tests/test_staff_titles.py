"""Staff list titles are in staff words: "Cases", "Emails", never "Select case to change"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import client_for

pytestmark = pytest.mark.django_db

OURS = {
    "requests.secondopinionrequest": "Cases",
    "requests.recorditem": "Record items to obtain",
    "requests.supporttask": "Support tasks",
    "requests.notification": "Emails",
    "requests.auditevent": "Audit trail",
}


def page_titles(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return (
        title.group(1).strip() if title else "",
        re.sub(r"<[^>]+>", "", heading.group(1)).strip() if heading else "",
    )


def test_no_staff_list_title_starts_with_select(django_user_model: Any, supervisor: Any) -> None:
    """Every registered list, seen by a superuser and by a supervisor, is titled without
    "Select ", and the case world's lists by their staff names."""
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    seen: dict[str, str] = {}
    for user in (superuser, supervisor):
        client = client_for(user)
        for model in admin.site._registry:
            opts = model._meta
            response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            if response.status_code != 200:
                continue
            title, heading = page_titles(response.content.decode())
            assert not title.startswith("Select "), (opts.label_lower, title)
            assert not heading.startswith("Select "), (opts.label_lower, heading)
            seen[opts.label_lower] = heading
    assert {label: seen.get(label) for label in OURS} == OURS
