"""SECURITY.md names, for each class of problem, the tests that keep it closed: they exist."""

from __future__ import annotations

import re

from tests.infra import ROOT

DOC = (ROOT / "SECURITY.md").read_text()


def test_every_test_module_security_md_names_exists() -> None:
    """A module named in SECURITY.md is a file under tests/ (renamed or removed: fix the page)."""
    modules = set(re.findall(r"(test_[a-z0-9_]+\.py)", DOC))
    assert modules, "SECURITY.md names no test module"
    found = {path.name for path in (ROOT / "tests").rglob("test_*.py")}
    assert modules <= found, sorted(modules - found)


def test_every_test_function_security_md_names_exists() -> None:
    """A test named as `module::test_name` is defined in the tests."""
    names = set(re.findall(r"::(test_[a-z0-9_]+)", DOC))
    assert names, "SECURITY.md names no test"
    source = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    missing = sorted(name for name in names if not re.search(rf"def {name}\b", source))
    assert not missing, missing
