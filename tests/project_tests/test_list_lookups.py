"""Staff lists accept only the filters they declare, per role (SECURITY.md, "List lookups").

Generated from the admin site and the models, not hand-picked: for every registered list and
every role, a `?<field>__startswith=` lookup on each concrete field of the model (and on each
field of the case behind it, through the relation) is refused or ignored, so that no role
reads a field it may not see one character at a time. Staff sign in as they do in production:
MFA required, the session verified by a TOTP device.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse

from requests.models import SecondOpinionRequest
from tests.factories import verified_client
from tests.worlds import SENTINEL_SURNAME, CaseWorld

pytestmark = pytest.mark.django_db

ROLES = ("supervisor", "navigator", "records", "advocate")
LISTS = sorted(model._meta.label_lower for model in admin.site._registry)


@pytest.fixture(autouse=True)
def _mfa_required(settings: Any) -> None:
    settings.MFA_REQUIRED = True


def probes(model: type[models.Model], obj: Any) -> list[str]:
    """Return the lookups to try: every concrete field of the model, every field of the case
    through the model's relation to it, and a lookup through the navigator to their user."""
    found = []
    for field in model._meta.concrete_fields:
        value = str(getattr(obj, field.attname, "") or "a")[:1]
        found.append(f"{field.name}__startswith={value}")
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is SecondOpinionRequest:
            case = getattr(obj, field.name)
            found += [
                f"{field.name}__{case_field.name}__startswith="
                + str(getattr(case, case_field.attname, "") or "a")[:1]
                for case_field in SecondOpinionRequest._meta.concrete_fields
            ]
            found.append(f"{field.name}__navigator__user__email__startswith=n")
    if model is SecondOpinionRequest:
        found.append("navigator__user__email__startswith=n")
        found.append("navigator__user__password__startswith=m")
    return found


def rows(response: Any) -> list[Any]:
    return [row.pk for row in response.context["cl"].result_list]


def refused(response: Any) -> bool:
    if response.status_code in {400, 403}:
        return True
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", LISTS)
def test_an_undeclared_lookup_is_refused_or_ignored(
    label: str, role: str, world: CaseWorld
) -> None:
    """Every field lookup a list does not declare gets a 400 (or the role has no list)."""
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    client = verified_client(world.users[role])
    obj = world.objects[label]
    baseline = client.get(url)

    for probe in probes(type(obj), obj):
        response = client.get(f"{url}?{probe}")
        if baseline.status_code != 200:
            assert refused(response), f"{role} {probe}: {response.status_code}"
            continue
        assert refused(response) or rows(response) == rows(baseline), f"{role} {probe}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", LISTS)
def test_the_declared_filters_still_work(label: str, role: str, world: CaseWorld) -> None:
    """Each filter a list shows its user is accepted: its choices' links give a page."""
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    client = verified_client(world.users[role])
    response = client.get(url)
    if response.status_code != 200:
        assert refused(response)
        return
    for spec in response.context["cl"].filter_specs:
        for choice in spec.choices(response.context["cl"]):
            assert client.get(url + choice["query_string"]).status_code == 200, choice


def test_the_case_pages_own_audit_link_is_declared(world: CaseWorld) -> None:
    """The audit trail accepts the case filter that the case page links to."""
    client = verified_client(world.users["supervisor"])
    url = reverse("admin:requests_auditevent_changelist") + f"?case__id__exact={world.case.pk}"

    response = client.get(url)

    assert response.status_code == 200
    assert {event.case_id for event in response.context["cl"].result_list} == {world.case.pk}


@pytest.mark.parametrize("role", ROLES)
def test_the_case_chooser_follows_the_same_rules(role: str, world: CaseWorld) -> None:
    """The admin's autocomplete (the record item's case chooser) answers only those who
    browse cases, searching only what they may search."""
    client = verified_client(world.users[role])
    query = {
        "app_label": "requests",
        "model_name": "recorditem",
        "field_name": "case",
        "term": SENTINEL_SURNAME,
    }

    response = client.get(reverse("admin:autocomplete"), query)

    if role in {"records", "advocate"}:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} >= {str(world.case.pk)}
    hidden = client.get(reverse("admin:autocomplete"), {**query, "term": "XJ-WORLD-7"})
    assert hidden.json()["results"] == []  # the member ID is no search field


def test_a_role_given_the_case_list_sees_only_its_case_fields_there(world: CaseWorld) -> None:
    """The issue's example: an advocate who is given the case list by hand gets no cancer-type
    column, filter or lookup there, as the case page hides it; their names search works."""
    advocate = world.users["advocate"]
    advocate.user_permissions.add(Permission.objects.get(codename="view_secondopinionrequest"))
    client = verified_client(advocate)
    url = reverse("admin:requests_secondopinionrequest_changelist") + "?queue=all"

    response = client.get(url)

    assert response.status_code == 200
    cl = response.context["cl"]
    assert "cancer_type" not in cl.list_display
    assert all(getattr(spec, "field_path", "") != "cancer_type" for spec in cl.filter_specs)
    assert "Breast cancer" not in response.content.decode()
    assert client.get(url + "&cancer_type__exact=breast").status_code == 400
    assert client.get(url + "&insurance_member_id__startswith=X").status_code == 400
    found = client.get(url + f"&q={SENTINEL_SURNAME}")
    assert world.case.pk in rows(found)
    assert client.get(url + "&q=XJ-WORLD-7").context["cl"].result_count == 0
