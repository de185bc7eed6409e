"""What the browser tests check on any page: axe's serious and critical violations, and
whether the page scrolls sideways."""

from __future__ import annotations

from typing import Any

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def serious_violations(page: Any) -> list[str]:
    """Return axe-core's serious and critical WCAG 2.2 AA violations on the page, named."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def sideways_overflow(page: Any) -> int:
    """Return how many pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
