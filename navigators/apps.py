from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NavigatorsConfig(AppConfig):
    name = "navigators"
    verbose_name = _("Navigators")
