"""Every admin page sends anonymous visitors to the login page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_request

pytestmark = pytest.mark.django_db


def admin_urls(obj_pk: int) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj_pk]))
        urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj_pk]))
        urls.append(reverse("admin:{}_{}_delete".format(*info), args=[obj_pk]))
    return urls


def test_every_admin_page_needs_a_login(client) -> None:
    case = make_request()
    for url in admin_urls(case.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_no_reference_leaks_into_the_login_redirect(client) -> None:
    case = make_request()
    response = client.get(reverse("admin:requests_secondopinionrequest_change", args=[case.pk]))
    assert case.reference not in response["Location"]
