"""Records staff and advocates work from their lists, not case pages (navigators/roles.py):
what an item's or a task's page gives them of the case, and adding an item by reference."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from navigators.services import case_assign
from requests.models import RecordItem, SecondOpinionRequest
from requests.services import document_store
from tests.factories import DIAGNOSIS_TEXT, client_for, make_request

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
ADD = "admin:requests_recorditem_add"


@pytest.fixture
def case(supervisor: Any, navigator_user: Any) -> SecondOpinionRequest:
    case = make_request(needs_records_help=True, needs_travel=True, insurance_member_id="XJ555")
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    return case


def item_post(reference: str) -> dict[str, str]:
    return {
        "case": reference,
        "kind": RecordItem.Kind.LABS,
        "facility": "Riverside Medical",
        "status": RecordItem.State.NEEDED,
        "method": "",
        "tracking_number": "",
        "notes": "",
    }


def test_records_staff_add_an_item_by_the_reference_read_over_the_phone(
    case: SecondOpinionRequest, records_user: Any
) -> None:
    """The case is named by its reference, however typed (no case chooser, which searches
    the case list records staff do not have)."""
    typed = case.reference.replace("-", " ").lower()

    response = client_for(records_user).post(reverse(ADD), item_post(typed))

    assert response.status_code == 302
    assert RecordItem.objects.filter(case=case, facility="Riverside Medical").exists()


def test_an_unknown_reference_is_refused_next_to_the_field(
    case: SecondOpinionRequest, records_user: Any
) -> None:
    """A reference of no case is a plain sentence on the form; nothing is added."""
    before = RecordItem.objects.count()

    response = client_for(records_user).post(reverse(ADD), item_post("ZZZZ-ZZZZ"))

    assert response.status_code == 200
    assert "No case has this reference" in response.content.decode()
    assert RecordItem.objects.count() == before


def test_navigators_keep_the_case_chooser(navigator_user: Any) -> None:
    """Those who browse cases choose one with the admin's searching chooser."""
    html = client_for(navigator_user).get(reverse(ADD)).content.decode()
    assert "admin-autocomplete" in html


def test_an_items_page_gives_records_staff_the_cases_documents(
    case: SecondOpinionRequest, records_user: Any
) -> None:
    """The item's page names the patient and links the case's documents, which download."""
    document = document_store(
        case=case,
        upload=SimpleUploadedFile("pathology.pdf", PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )
    item = RecordItem.objects.filter(case=case).first()
    client = client_for(records_user)

    html = client.get(reverse("admin:requests_recorditem_change", args=[item.pk])).content.decode()

    assert case.last_name in html
    assert f'href="{document.get_absolute_url()}"' in html
    assert document.file.name not in html  # never the storage key
    assert DIAGNOSIS_TEXT not in html
    assert "XJ555" not in html
    assert client.get(document.get_absolute_url()).status_code == 200


def test_the_worklist_shows_no_case_field_the_role_may_not_see(
    case: SecondOpinionRequest, records_user: Any, advocate_user: Any
) -> None:
    """Records staff's worklist has no contact or insurance; advocates' has no disease group."""
    records = client_for(records_user).get(reverse("admin:requests_recorditem_changelist"))
    advocates = client_for(advocate_user).get(reverse("admin:requests_supporttask_changelist"))

    assert case.phone not in records.content.decode()
    assert "XJ555" not in records.content.decode()
    assert case.phone in advocates.content.decode()
    assert "Breast cancer" not in advocates.content.decode()
