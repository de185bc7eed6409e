"""The facility directory: who keeps it, items linked to it by name, the names offered on the
facility fields, and the slowest-facilities report grouped by it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from requests.models import Facility, RecordItem
from requests.selectors import slowest_facilities
from requests.services import record_item_save
from tests.factories import client_for, make_request

pytestmark = pytest.mark.django_db

State = RecordItem.State


def new_item(case: Any, by: Any, facility: str, **fields: Any) -> RecordItem:
    item = RecordItem(case=case, kind=RecordItem.Kind.LABS, facility=facility, **fields)
    return record_item_save(item=item, by=by)


# --- Who keeps it ---------------------------------------------------------------------------


def test_records_staff_add_and_change_a_facility(records_user) -> None:
    client = client_for(records_user)

    response = client.post(
        reverse("admin:requests_facility_add"),
        {
            "name": "Mercy General Hospital",
            "phone": "617-555-0190",
            "fax": "617-555-0191",
            "address": "1 Main St, Springfield, MA",
            "release_notes": "Fax the signed release to HIM; 3 to 5 days.",
        },
    )

    assert response.status_code == 302
    facility = Facility.objects.get()
    assert facility.fax == "617-555-0191"
    changed = client.post(
        reverse("admin:requests_facility_change", args=[facility.pk]),
        {
            "name": facility.name,
            "phone": "617-555-0199",
            "fax": "",
            "address": "",
            "release_notes": "",
        },
    )
    assert changed.status_code == 302
    assert Facility.objects.get().phone == "617-555-0199"


def test_a_facility_name_is_unique(records_user) -> None:
    Facility.objects.create(name="Dana Clinic")

    response = client_for(records_user).post(
        reverse("admin:requests_facility_add"), {"name": "Dana Clinic"}
    )

    assert response.status_code == 200
    assert "Facility with this Name already exists." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "listed", "adds"),
    [
        ("records_user", 200, 200),
        ("supervisor", 200, 403),
        ("navigator_user", 403, 403),
        ("advocate_user", 403, 403),
    ],
)
def test_who_reads_and_keeps_the_directory(
    staff: dict[str, Any], role: str, listed: int, adds: int
) -> None:
    client = client_for(staff[role])

    assert client.get(reverse("admin:requests_facility_changelist")).status_code == listed
    assert client.get(reverse("admin:requests_facility_add")).status_code == adds


# --- Items linked by name -------------------------------------------------------------------


def test_an_item_is_linked_to_the_directory_entry_of_its_name(records_user) -> None:
    """Whatever the case and outer spaces the name was typed with; none when not listed."""
    mercy = Facility.objects.create(name="Mercy General Hospital", phone="617-555-0190")
    case = make_request()

    listed = new_item(case, records_user, "  mercy general hospital ")
    unlisted = new_item(case, records_user, "Somewhere Else")

    assert listed.facility_ref == mercy
    assert unlisted.facility_ref is None


def test_adding_a_facility_links_the_items_already_typed_with_its_name(records_user) -> None:
    """Items listed before the directory had the facility are linked once it is added."""
    case = make_request()
    earlier = new_item(case, records_user, "Dana Clinic")
    other = new_item(case, records_user, "Elsewhere")

    client_for(records_user).post(
        reverse("admin:requests_facility_add"), {"name": "DANA CLINIC ", "phone": "617-555-0170"}
    )

    dana = Facility.objects.get(name="DANA CLINIC")
    assert RecordItem.objects.get(pk=earlier.pk).facility_ref == dana
    assert RecordItem.objects.get(pk=other.pk).facility_ref is None


def test_the_items_listed_at_intake_are_linked(records_user) -> None:
    mercy = Facility.objects.create(name="Mercy General Hospital")

    case = make_request(needs_records_help=True, current_facility="mercy general hospital")

    refs = set(RecordItem.objects.filter(case=case).values_list("facility_ref", flat=True))
    assert refs == {mercy.pk}


def test_renaming_an_items_facility_relinks_it(records_user) -> None:
    mercy = Facility.objects.create(name="Mercy General Hospital")
    dana = Facility.objects.create(name="Dana Clinic")
    item = new_item(make_request(), records_user, "Mercy General Hospital")
    assert item.facility_ref == mercy

    before = {"facility": item.facility, "status": item.status}
    item.facility = "Dana Clinic"
    record_item_save(item=item, by=records_user, before=before)

    assert RecordItem.objects.get(pk=item.pk).facility_ref == dana


def test_the_desk_shows_the_facilitys_phone_and_fax_as_links(records_user) -> None:
    Facility.objects.create(name="Mercy General Hospital", phone="617-555-0190", fax="617-555-0191")
    new_item(make_request(), records_user, "Mercy General Hospital")

    html = client_for(records_user).get(reverse("admin:records_desk")).content.decode()

    assert 'href="tel:617-555-0190"' in html
    assert 'href="tel:617-555-0191"' in html


# --- Names offered as the person types ------------------------------------------------------


def test_the_item_form_offers_the_directory_names(records_user) -> None:
    Facility.objects.create(name="Mercy General Hospital")

    html = client_for(records_user).get(reverse("admin:requests_recorditem_add")).content.decode()

    assert 'list="id_facility_directory"' in html
    assert '<datalist id="id_facility_directory"><option value="Mercy General Hospital">' in html


def test_the_public_request_form_offers_the_directory_names(client) -> None:
    Facility.objects.create(name="Dana Clinic")

    html = client.get("/request/").content.decode()

    assert 'list="id_current_facility_directory"' in html
    assert '<option value="Dana Clinic">' in html


# --- The slowest-facilities report ----------------------------------------------------------


def test_the_report_groups_by_directory_entry_and_shows_its_phone(records_user) -> None:
    """Two spellings of one listed facility count as one row, with the directory's phone."""
    Facility.objects.create(name="Mercy General Hospital", phone="617-555-0190")
    now = timezone.now()
    for typed, days in (("Mercy General Hospital", 2), ("MERCY GENERAL HOSPITAL", 4), ("Dana", 1)):
        item = new_item(make_request(), records_user, typed)
        RecordItem.objects.filter(pk=item.pk).update(
            status=State.RECEIVED, requested_at=now - timedelta(days=days), received_at=now
        )

    rows = {row.facility: row for row in slowest_facilities()}

    assert set(rows) == {"Mercy General Hospital", "Dana"}
    assert (rows["Mercy General Hospital"].items, rows["Mercy General Hospital"].phone) == (
        2,
        "617-555-0190",
    )
    assert rows["Mercy General Hospital"].median_days == 3.0
    assert rows["Dana"].phone == ""


def test_the_dashboard_shows_the_facilitys_phone(supervisor, records_user) -> None:
    Facility.objects.create(name="Mercy General Hospital", phone="617-555-0190")
    item = new_item(make_request(), records_user, "Mercy General Hospital")
    now = timezone.now()
    RecordItem.objects.filter(pk=item.pk).update(
        status=State.RECEIVED, requested_at=now - timedelta(days=2), received_at=now
    )

    html = client_for(supervisor).get(reverse("requests:dashboard")).content.decode()

    assert 'href="tel:617-555-0190"' in html
