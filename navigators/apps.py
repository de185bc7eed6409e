"""The navigators app; once every admin is registered, it restricts their lists per role."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NavigatorsConfig(AppConfig):
    name = "navigators"
    verbose_name = _("Navigators")

    def ready(self) -> None:
        from django.contrib import admin

        from secondopinion.staff_admin import restrict_registered_lists

        # The last app: every admin (ours, auth's, django-otp's, axes') is registered by now.
        restrict_registered_lists(admin.site)
