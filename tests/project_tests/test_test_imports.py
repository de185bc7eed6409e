"""The tests share scaffolding through plain modules (tests/factories.py, tests/infra.py,
tests/html.py, tests/worlds.py, tests/e2e/browser.py), never by importing a test module or a
conftest: pytest loads those itself, and a test module imported elsewhere runs twice."""

from __future__ import annotations

import ast

from tests.infra import ROOT


def imported_modules(source: str) -> list[str]:
    """Return the dotted names a module imports (absolute and relative, without the dots)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names += [module] if module else [alias.name for alias in node.names]
    return names


def test_no_module_of_the_tests_or_benches_imports_a_test_module_or_a_conftest() -> None:
    """No module under tests/ or bench/ imports `test_*` or `conftest`."""
    found = []
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in imported_modules(path.read_text()):
                last = name.rsplit(".", 1)[-1]
                if last == "conftest" or last.startswith("test_"):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert found == []


def test_the_check_sees_a_test_module_import() -> None:
    """The walk finds both spellings of an import of a test module."""
    source = "from tests.e2e.test_patient_request import fill\nfrom .conftest import Orthanc\n"
    assert imported_modules(source) == ["tests.e2e.test_patient_request", "conftest"]
