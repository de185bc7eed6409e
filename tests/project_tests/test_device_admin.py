"""The second-factor device list in the admin (secondopinion/admin.py): no page shows a key,
nobody adds or changes a device, and a supervisor's reset of a colleague's device is audited.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests.models import AuditEvent
from tests.factories import make_staff, verified_client
from tests.project_tests.otp_codes import ENROL, LOGIN, PASSWORD, secret_forms
from tests.project_tests.staff_urls import ADMIN_VIEWS, body_of
from tests.worlds import ROLE_FIXTURES, CaseWorld

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:otp_totp_totpdevice_changelist")


@pytest.fixture
def superuser(db: None) -> Any:
    return make_staff("root", None, is_superuser=True)


def device_of(user: Any) -> TOTPDevice:
    """Return the user's confirmed device, creating one if they have none."""
    device = TOTPDevice.objects.filter(user=user).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def reset(client: Client, *devices: TOTPDevice) -> Any:
    return client.post(
        CHANGELIST,
        {
            "action": "reset_second_factor",
            "index": "0",
            "_selected_action": [device.pk for device in devices],
        },
    )


def mfa_resets() -> list[AuditEvent]:
    return [event for event in AuditEvent.objects.all() if event.detail.get("mfa") == "reset"]


# --- No page shows a key --------------------------------------------------------------------


def admin_pages(world: CaseWorld) -> list[str]:
    """Return the index and every model page of the admin: each registered model's five
    views on the world's object, and the change and history pages of every user and device."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        label = model._meta.label_lower
        app_label, model_name = label.split(".")
        obj = world.objects[label]
        for view in ADMIN_VIEWS:
            args = [] if view in {"changelist", "add"} else [obj.pk]
            urls.append(reverse(f"admin:{app_label}_{model_name}_{view}", args=args))
    for model, objects in (
        (get_user_model(), get_user_model().objects.all()),
        (TOTPDevice, TOTPDevice.objects.all()),
    ):
        for obj in objects:
            for view in ("change", "history"):
                name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
                urls.append(reverse(name, args=[obj.pk]))
    return urls


@pytest.mark.parametrize("who", [*ROLE_FIXTURES, "superuser"])
def test_no_admin_page_shows_any_key(
    who: str, world: CaseWorld, superuser: Any, settings: Any
) -> None:
    """Every admin page any role reaches, superuser included, shows no device key in hex or
    base32 (nor django-otp's QR code); the device pages themselves included."""
    settings.MFA_REQUIRED = True
    everyone = [*world.users.values(), superuser]
    secrets = [form for user in everyone for form in secret_forms(device_of(user).key)]
    client = verified_client(superuser if who == "superuser" else world.users[who])

    reached = []
    for url in admin_pages(world):
        response = client.get(url)
        body = body_of(response)
        for secret in secrets:
            assert secret not in body, f"{who} reads a key at {url}"
        assert b"qrcode" not in body.lower(), url
        if response.status_code == 200:
            reached.append(url)

    if who in {"supervisor", "superuser"}:
        assert CHANGELIST in reached
        assert reverse("admin:otp_totp_totpdevice_change", args=[device_of(superuser).pk]) in (
            reached
        )
    else:
        assert CHANGELIST not in reached


def test_the_device_list_shows_person_name_confirmed_and_last_use(
    supervisor: Any, navigator_user: Any, settings: Any
) -> None:
    """The list shows whose device it is, its name, whether confirmed, when last used."""
    settings.MFA_REQUIRED = True
    TOTPDevice.objects.create(user=navigator_user, name="Navigator's phone", confirmed=True)

    page = verified_client(supervisor).get(CHANGELIST).content.decode()

    assert "Navigator&#x27;s phone" in page
    for column in ("Person", "Name", "Confirmed", "Last used"):
        assert column in page


def test_django_otps_key_and_qr_code_pages_are_gone(superuser: Any, settings: Any) -> None:
    """The stock config and QR code views are not routed; their paths show no key."""
    settings.MFA_REQUIRED = True
    client = verified_client(superuser)
    device = device_of(superuser)
    for name in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{name}", kwargs={"pk": device.pk})
    for tail in ("config", "qrcode"):
        response = client.get(f"{CHANGELIST}{device.pk}/{tail}/", follow=True)
        assert response.get("Content-Type", "").startswith("text/html")
        for secret in secret_forms(device.key):
            assert secret not in response.content


# --- Nobody adds or changes a device --------------------------------------------------------


def test_no_one_adds_or_changes_a_device_in_the_admin(
    superuser: Any, navigator_user: Any, settings: Any
) -> None:
    """Even a superuser is refused adding a device, changing one (key, owner) or deleting it."""
    settings.MFA_REQUIRED = True
    client = verified_client(superuser)
    device = device_of(navigator_user)
    key = device.key
    data = {"user": superuser.pk, "name": "mine now", "key": "ab" * 20, "confirmed": "on"}

    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    assert client.post(reverse("admin:otp_totp_totpdevice_add"), data).status_code == 403
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    assert client.post(change, data).status_code == 403
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403

    device.refresh_from_db()
    assert (device.user, device.key, device.name) == (navigator_user, key, "phone")
    assert TOTPDevice.objects.count() == 2


# --- Reset ----------------------------------------------------------------------------------


def test_a_supervisor_resets_a_colleagues_device(
    supervisor: Any, navigator_user: Any, settings: Any
) -> None:
    """The reset deletes the colleague's devices, is audited, ends their verified session,
    and sends their next sign-in to enrolment."""
    settings.MFA_REQUIRED = True
    colleague = verified_client(navigator_user)
    assert colleague.get("/admin/all/").status_code == 200
    device = device_of(navigator_user)
    TOTPDevice.objects.create(user=navigator_user, name="old phone", confirmed=False)

    response = reset(verified_client(supervisor), device)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=navigator_user).exists()
    [event] = mfa_resets()
    assert (event.actor, event.action, event.case) == (
        supervisor,
        AuditEvent.Action.DELETE,
        None,
    )
    assert (event.object_type, event.object_id) == ("auth.user", str(navigator_user.pk))
    assert event.detail == {"mfa": "reset", "devices": 2}
    assert colleague.get("/admin/all/")["Location"].startswith(LOGIN)
    again = Client().post(LOGIN, {"username": "navigator", "password": PASSWORD})
    assert again["Location"] == ENROL


def test_no_one_resets_their_own_device_nor_a_supervisor_a_superusers(
    supervisor: Any, superuser: Any, settings: Any
) -> None:
    """A supervisor's reset skips their own device and a superuser's; a superuser may reset
    a supervisor's."""
    settings.MFA_REQUIRED = True
    own, root = device_of(supervisor), device_of(superuser)

    response = reset(verified_client(supervisor), own, root)

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(pk__in=[own.pk, root.pk]).count() == 2
    assert mfa_resets() == []

    reset(verified_client(superuser), own)
    assert not TOTPDevice.objects.filter(pk=own.pk).exists()
    assert [event.object_id for event in mfa_resets()] == [str(supervisor.pk)]


@pytest.mark.parametrize("role", ["navigator_user", "records_user", "advocate_user"])
def test_other_roles_cannot_reset(
    role: str, request: pytest.FixtureRequest, supervisor: Any, settings: Any
) -> None:
    """Navigators, records staff and advocates are refused the list and its reset."""
    settings.MFA_REQUIRED = True
    device = device_of(supervisor)

    response = reset(verified_client(request.getfixturevalue(role)), device)

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert mfa_resets() == []
