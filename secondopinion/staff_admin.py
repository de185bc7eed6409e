"""The base of every list and page of the staff admin: what it shows and accepts, per role.

Django's changelist accepts a lookup on any field from the query string
(`?insurance_member_id__startswith=X`), so a role that may not see a field could read it one
character at a time. A list here accepts only the parameters of the filters it declares for
the user's role (and the admin's own: search, ordering, page, popup), and its columns,
filters and search cover only the case fields the role may see (navigators.access), like the
case page. Admins registered by other apps (auth, django-otp, axes) get the same lookup rule
through `restrict_registered_lists`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.forms import Field
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst

from navigators.access import may_see_case_field, may_use_app, may_use_model

# Prefixes a search field may carry (exact, starts-with, full-text).
_SEARCH_PREFIXES = "=^@"


def _filter_parameters(model: Any, item: Any) -> set[str]:
    """Return the query-string parameters one list_filter entry reads."""
    if isinstance(item, list | tuple):
        path = item[0]
    elif isinstance(item, str):
        path = item
    else:  # a SimpleListFilter
        return {item.parameter_name}
    field = get_fields_from_path(model, path)[-1]
    # The parameters of Django's field filters: all values (the path itself), choices and
    # booleans (exact), dates (gte, lt), empty values (isempty), relations (the related key);
    # each with isnull.
    found = {path, f"{path}__exact", f"{path}__isnull", f"{path}__gte", f"{path}__lt"}
    found.add(f"{path}__isempty")
    if field.is_relation:
        target = getattr(field, "target_field", None)
        found.add(f"{path}__{target.name if target is not None else 'pk'}__exact")
    return found


class DeclaredLookupsOnly:
    """Refuse (400) any list lookup but those of the filters declared for the user's role."""

    # Lookups that the portal's own links use and no filter declares (a case's audit trail).
    extra_list_lookups: Sequence[str] = ()

    def declared_lookups(self, request: HttpRequest) -> frozenset[str]:
        """Return the query-string parameters this list accepts from the user."""
        found = set(self.extra_list_lookups)
        for item in self.get_list_filter(request):
            found |= _filter_parameters(self.model, item)
        if self.date_hierarchy:
            found |= {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")}
        return frozenset(found)

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        if request is None:
            return False
        return lookup in self.declared_lookups(request)


class RoleFieldsMixin(DeclaredLookupsOnly):
    """Columns, filters, search and page fields limited to the case fields the role sees."""

    # The path from this model to its case: "" for the case itself, "case" for its parts,
    # None for models that hold no case field.
    case_path: str | None = None
    # Columns, filters (by parameter name) and page fields that show a case field under
    # another name, for example {"patient": "last_name"}.
    case_field_of: Mapping[str, str] = {}

    def case_field(self, name: str) -> str | None:
        """Return the case field that a column, filter, search or page field shows, if any."""
        name = name.lstrip(_SEARCH_PREFIXES)
        if name in self.case_field_of:
            return self.case_field_of[name]
        if self.case_path is None:
            return None
        if self.case_path == "":
            try:
                self.model._meta.get_field(name.split("__", 1)[0])
            except FieldDoesNotExist:
                return None
            return name
        prefix = f"{self.case_path}__"
        return name[len(prefix) :] if name.startswith(prefix) else None

    def shows(self, request: HttpRequest, item: Any) -> bool:
        """Return whether the role may see what a column, filter or field shows."""
        if isinstance(item, list | tuple):
            item = item[0]
        name = item if isinstance(item, str) else getattr(item, "parameter_name", "")
        field = self.case_field(name)
        return field is None or may_see_case_field(request.user, field)

    def get_list_display(self, request: HttpRequest) -> Any:
        return [name for name in super().get_list_display(request) if self.shows(request, name)]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [item for item in super().get_list_filter(request) if self.shows(request, item)]

    def get_search_fields(self, request: HttpRequest) -> Any:
        return [name for name in super().get_search_fields(request) if self.shows(request, name)]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [name for name in super().get_fields(request, obj) if self.shows(request, name)]


def _time_zone_note() -> str:
    abbreviation = timezone.localtime().tzname()
    return f"Times are in the center's time zone: {settings.TIME_ZONE} ({abbreviation})."


# The help text of every staff date and time input. Django's admin script would instead note
# how far the browser's clock is from the server's ("you are 3 hours behind server time"),
# which static/css/admin.css hides: staff type the center's time, wherever they are.
time_zone_note = lazy(_time_zone_note, str)


class TimeZoneHelp:
    """Name the center's time zone under every date-and-time and time input of an admin."""

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(db_field, models.DateTimeField | models.TimeField):
            formfield.help_text = " ".join(
                str(part) for part in (formfield.help_text, time_zone_note()) if part
            )
        return formfield


class StaffListTitle:
    """Title a list in staff words ("Cases", "Emails"), not Django's "Select case to change"."""

    list_title: str | None = None

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        context.setdefault("title", self.list_title or capfirst(self.opts.verbose_name_plural))
        return super().changelist_view(request, context)


class NamedListFields:
    """Name each editable field of a list by its column and row ("Status: Pathology report
    from Mercy"): the admin renders them with no label, so a screen reader says nothing."""

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        base = super().get_changelist_form(request, **kwargs)

        class Named(base):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                # The formset's empty form has no row to name (and an instance without one).
                row = f": {self.instance}" if self.instance.pk else ""
                for field in self.fields.values():
                    field.widget.attrs["aria-label"] = f"{capfirst(field.label)}{row}"

        return Named


class StaffModelAdmin(
    NamedListFields, StaffListTitle, TimeZoneHelp, RoleFieldsMixin, admin.ModelAdmin
):
    """The base of the portal's model admins: permissions asked of navigators.access."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_app(request.user, self.opts.app_label)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return may_use_model(user, self.opts, "view") or may_use_model(user, self.opts, "change")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_use_model(request.user, self.opts, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_model(request.user, self.opts, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_model(request.user, self.opts, "delete")


def restrict_registered_lists(site: admin.AdminSite) -> None:
    """Give every admin registered on `site` that lacks them the declared-lookups rule and
    the staff list title.

    Called once all admins are registered (navigators' AppConfig.ready, the last app): the
    admins of auth, django-otp and axes, and any added later, follow the same rule as ours.
    """
    for model, model_admin in list(site._registry.items()):
        missing = tuple(
            mixin
            for mixin in (DeclaredLookupsOnly, StaffListTitle)
            if not isinstance(model_admin, mixin)
        )
        if not missing:
            continue
        original = type(model_admin)
        restricted = type(original.__name__, (*missing, original), {})
        site.unregister(model)
        site.register(model, restricted)


class ReadOnlyAdminMixin:
    """An admin nobody adds to, changes or deletes from (the audit trail, second factors):
    what writes those rows is a service, never a form."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
