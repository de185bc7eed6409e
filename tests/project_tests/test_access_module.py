"""Every access decision lives in navigators/access.py (STYLE.md, "One rule, one place").

The source of the project's packages is read: no module but the access module compares
permissions, groups, superusers or role names. roles.py (which defines the roles and gives
them), the authentication backend (which reads permissions for Django) and migrations are
the only other modules allowed to name them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from navigators import roles

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("secondopinion", "requests", "navigators")
ALLOWED = {
    Path("navigators/access.py"),
    Path("navigators/roles.py"),
    Path("secondopinion/auth.py"),
}
ROLE_CONSTANTS = ("NAVIGATORS", "RECORDS_STAFF", "PATIENT_ADVOCATES", "SUPERVISORS")
ROLE_NAMES = (roles.NAVIGATORS, roles.RECORDS_STAFF, roles.PATIENT_ADVOCATES, roles.SUPERVISORS)
_ROLE = "|".join([*ROLE_CONSTANTS, *(f"[\"']{re.escape(name)}[\"']" for name in ROLE_NAMES)])
_COMPARE = r"(?:==|!=|\bnot in\b|\bin\b)"
FORBIDDEN = {
    "a permission check": re.compile(r"has_perm\("),
    "a group read": re.compile(r"\.groups\.|groups__name"),
    "a superuser check": re.compile(r"is_superuser"),
    "a role compared": re.compile(
        rf"{_COMPARE}\s*[\(\[{{]?\s*(?:{_ROLE})\b|(?:{_ROLE})\s*{_COMPARE}"
    ),
}


def source_files() -> list[Path]:
    return sorted(
        path.relative_to(ROOT)
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def offences(text: str) -> list[str]:
    """Return what in `text` decides access, one line per finding."""
    return [
        f"{line_number}: {what}: {line.strip()}"
        for line_number, line in enumerate(text.splitlines(), start=1)
        for what, pattern in FORBIDDEN.items()
        if pattern.search(line)
    ]


@pytest.mark.parametrize(
    "path", [pytest.param(path, id=str(path)) for path in source_files() if path not in ALLOWED]
)
def test_no_module_but_the_access_module_decides_access(path: Path) -> None:
    """The module compares no permission, group, superuser flag or role name."""
    assert offences((ROOT / path).read_text()) == []


@pytest.mark.parametrize(
    "line",
    [
        'if user.has_perm("requests.view_dashboard"):',
        "names = user.groups.all()",
        'User.objects.filter(groups__name="Supervisors")',
        "if request.user.is_superuser:",
        "if role == SUPERVISORS:",
        'if "Records staff" in names:',
        "allowed = group.name in (NAVIGATORS, SUPERVISORS)",
    ],
)
def test_each_kind_of_decision_is_found(line: str) -> None:
    """The scan finds each kind of access decision it looks for."""
    assert offences(line)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path.relative_to(ROOT), id=str(path.relative_to(ROOT)))
        for path in sorted((ROOT / "templates").rglob("*.html"))
    ],
)
def test_no_template_reads_a_permission(path: Path) -> None:
    """Templates ask the access module (navigators/templatetags/access.py), not `perms`."""
    text = (ROOT / path).read_text()
    assert not re.search(r"\bperms\.|is_superuser|has_perm", text)


def test_naming_a_role_without_comparing_it_is_not_a_decision() -> None:
    """Passing a role to a function (staff_with_role(RECORDS_STAFF)) decides nothing."""
    assert offences("staff = staff_with_role(RECORDS_STAFF)") == []
    assert offences('verbose_name = _("Navigators")') == []
