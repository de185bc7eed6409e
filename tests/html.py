"""Read a page's forms as a browser would: the fields it would post, a hidden input's value.

Plain functions over the HTML text, for tests that post what a staff or patient page offers
and for the benchmarks, which post the public form.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any


class FormFields(HTMLParser):
    """Collect what a browser would post from one form of a page."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text: list[str] = []

    def add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:
            self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
            return
        name = attr.get("name")
        if not self.inside or "disabled" in attr:
            return
        if tag == "input" and name:
            kind = attr.get("type") or "text"
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                return
            self.add(name, attr.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self.select = (name, "multiple" in attr)
            self.options = []
        elif tag == "option" and self.select:
            self.options.append((attr.get("value") or "", "selected" in attr))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.select:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]
            for value in chosen:
                self.add(name, value)
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            self.add(self.textarea, text.removeprefix("\r\n").removeprefix("\n"))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text.append(data)


def form_fields(html: str, form_id: str = "secondopinionrequest_form") -> dict[str, Any]:
    """Return what a browser would post from the form `form_id` of `html` (a list for a field
    given more than once)."""
    parser = FormFields(form_id)
    parser.feed(html)
    assert parser.fields, f"no form #{form_id} on the page"
    return {
        name: values if len(values) > 1 else values[0] for name, values in parser.fields.items()
    }


def input_value(html: str, name: str) -> str:
    """Return the value of the page's input named `name` (the CSRF token, a submission key)."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no input named {name} on the page"
    return found.group(1)
