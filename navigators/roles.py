"""Staff roles as Django groups with exact permissions (DESIGN.md, "Who uses it").

The groups are created and kept in step by data migrations that call `sync_role_groups`;
nobody sets them up by hand. Changing ROLE_PERMISSIONS needs a new such migration.
"""

from __future__ import annotations

from typing import Any

NAVIGATORS = "Navigators"
RECORDS_STAFF = "Records staff"
PATIENT_ADVOCATES = "Patient advocates"
SUPERVISORS = "Supervisors"

_RECORDS_WORK = [
    "view_recorditem",
    "add_recorditem",
    "change_recorditem",
    "view_document",
    "add_document",
]
_CASE_WORK = {
    "requests": [
        "view_secondopinionrequest",
        "change_secondopinionrequest",
        "take_case",
        "transition_case",
        "view_statuschange",
        "view_assignment",
        "add_casenote",
        "view_casenote",
        "add_appointment",
        "change_appointment",
        "view_appointment",
        "view_notification",
        "view_targetalert",
        "view_dashboard",
        *_RECORDS_WORK,
        "view_supporttask",
        "view_referringprovider",
    ],
    "navigators": ["view_navigator"],
}

ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    NAVIGATORS: _CASE_WORK,
    SUPERVISORS: {
        "requests": [
            *_CASE_WORK["requests"],
            "assign_case",
            "change_notification",
            "view_auditevent",
            "change_supporttask",
            "view_facility",
        ],
        "navigators": ["view_navigator", "add_navigator", "change_navigator"],
        # Supervisors see who has a second factor (never its key) and may reset another
        # person's (navigators.access.can_reset_second_factor); each person enrols their own.
        "otp_totp": ["view_totpdevice"],
    },
    # Records staff and advocates see a case only through their own work lists (the records
    # worklist, the support worklist, which show what their work needs of a case): no case
    # list or case page. They never change a case's status or assignment.
    RECORDS_STAFF: {
        "requests": [*_RECORDS_WORK, "view_facility", "add_facility", "change_facility"]
    },
    PATIENT_ADVOCATES: {"requests": ["view_supporttask", "change_supporttask"]},
}


# Where each role starts: after signing in, and whenever it opens the admin index
# (navigators.access.landing_page). A person in several roles starts on the page of the first
# of their roles listed here. Values are URL names.
ROLE_LANDING: dict[str, str] = {
    SUPERVISORS: "admin:team",
    NAVIGATORS: "admin:today",
    RECORDS_STAFF: "admin:records_desk",
    PATIENT_ADVOCATES: "admin:support_desk",
}
SUPERUSER_LANDING = "admin:team"
# Staff in no role start on the admin's own index of pages, which everyone can open.
DEFAULT_LANDING = "admin:all_pages"


def sync_role_groups(apps: Any, schema_editor: Any = None) -> None:
    """Create the role groups and give each exactly its permissions (for data migrations)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now to use them.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        # An older migration runs before the later models exist: it grants what exists, and
        # the migration that adds a model calls this again to grant the rest.
        wanted = [
            permission
            for app_label, codenames in by_app.items()
            for permission in Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        ]
        group.permissions.set(wanted)


def role_grant(user: Any, role: str) -> None:
    """Make `user` a member of staff holding exactly `role` (for set-up commands and demos)."""
    from django.contrib.auth.models import Group

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.set([Group.objects.get(name=role)])


def superuser_grant(user: Any) -> None:
    """Make `user` a superuser of the staff site (for set-up commands and demos)."""
    user.is_staff = user.is_superuser = True
    user.save()
