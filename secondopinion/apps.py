"""The admin app with the portal's site, and the project's own app (its checks and signals)."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The admin app, with our site (a second factor when MFA is required) as the default."""

    default_site = "secondopinion.admin_site.PortalAdminSite"


class SecondOpinionConfig(AppConfig):
    name = "secondopinion"
    verbose_name = "Second Opinion portal"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401 (registers the checks, connects the receivers)
