"""Where each role lands (navigators.roles.ROLE_LANDING, navigators.access.landing_page):
after signing in with the second factor, and on the admin index; the stock index stays as
"all pages"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigators.access import landing_page
from navigators.roles import NAVIGATORS, SUPERVISORS
from tests.factories import client_for, make_staff
from tests.project_tests.otp_codes import LOGIN, PASSWORD, code_for

pytestmark = pytest.mark.django_db

LANDS_ON = [
    ("supervisor", "admin:team"),
    ("navigator_user", "admin:today"),
    ("records_user", "admin:records_desk"),
    ("advocate_user", "admin:support_desk"),
]


@pytest.fixture
def superuser(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)


def sign_in(user: Any, **extra: str) -> tuple[Client, Any]:
    """Sign `user` in with their password and the code their device shows now."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    data = {
        "username": user.get_username(),
        "password": PASSWORD,
        "otp_token": code_for(device.key),
    }
    return client, client.post(LOGIN, {**data, **extra})


@pytest.mark.parametrize(("role", "url_name"), LANDS_ON)
def test_each_role_lands_on_its_page_after_signing_in(
    settings: Any, request: Any, role: str, url_name: str
) -> None:
    """With the second factor, each role is sent to its own page, which opens."""
    settings.MFA_REQUIRED = True
    client, response = sign_in(request.getfixturevalue(role))

    assert response.status_code == 302
    assert response["Location"] == reverse(url_name)
    assert client.get(response["Location"]).status_code == 200


def test_a_superuser_lands_on_the_team(settings: Any, superuser: Any) -> None:
    settings.MFA_REQUIRED = True
    client, response = sign_in(superuser)

    assert response["Location"] == reverse("admin:team")
    assert client.get(response["Location"]).status_code == 200


def test_a_sign_in_sent_from_a_page_goes_back_to_it(settings: Any, navigator_user: Any) -> None:
    """A `next` naming a page of the site wins over the landing page; the admin index does not
    (it only sends on)."""
    settings.MFA_REQUIRED = True
    dashboard = reverse("requests:dashboard")
    _client, response = sign_in(navigator_user, next=dashboard)
    assert response["Location"] == dashboard

    TOTPDevice.objects.filter(user=navigator_user).delete()
    _client, response = sign_in(navigator_user, next=reverse("admin:index"))
    assert response["Location"] == reverse("admin:today")


@pytest.mark.parametrize(("role", "url_name"), LANDS_ON)
def test_the_admin_index_sends_each_role_to_its_page(
    request: Any, role: str, url_name: str
) -> None:
    """/admin/ (the header's home link) is a redirect to the role's landing page."""
    response = client_for(request.getfixturevalue(role)).get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse(url_name)


def test_a_signed_in_visit_to_the_sign_in_page_lands_too(navigator_user: Any) -> None:
    response = client_for(navigator_user).get(LOGIN)

    assert response["Location"] == reverse("admin:today")


def test_several_roles_land_on_the_first_listed(navigator_user: Any) -> None:
    """A navigator who also supervises starts on the team (ROLE_LANDING's order)."""
    from django.contrib.auth.models import Group

    navigator_user.groups.add(Group.objects.get(name=SUPERVISORS))

    assert landing_page(navigator_user) == reverse("admin:team")


def test_staff_without_a_role_land_on_all_pages(db: None) -> None:
    """Staff in no role (and inactive accounts) land on the admin's own index."""
    nobody = make_staff("nobody", None)
    client = client_for(nobody)

    assert client.get(reverse("admin:index"))["Location"] == reverse("admin:all_pages")
    assert client.get(reverse("admin:all_pages")).status_code == 200
    former = make_staff("former", NAVIGATORS, is_active=False)
    assert landing_page(former) == reverse("admin:all_pages")


@pytest.mark.parametrize("role", ["supervisor", "navigator_user", "records_user", "advocate_user"])
def test_all_pages_is_the_stock_index_for_every_role(request: Any, role: str) -> None:
    """All pages lists the models the role may open, as the admin's index did."""
    response = client_for(request.getfixturevalue(role)).get(reverse("admin:all_pages"))

    assert response.status_code == 200
    assert "app_list" in response.context
    assert "All staff pages" in response.content.decode()


@pytest.mark.parametrize(
    ("page", "role"), [("admin:today", "navigator_user"), ("admin:team", "supervisor")]
)
def test_the_landing_pages_link_all_pages(request: Any, page: str, role: str) -> None:
    html = client_for(request.getfixturevalue(role)).get(reverse(page)).content.decode()

    assert f'href="{reverse("admin:all_pages")}"' in html
