"""Clinical navigators: who guides each patient, and how many cases they can carry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Navigator(models.Model):
    """A staff user who navigates cases in some disease groups and languages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="navigator"
    )
    # Lists of requests.choices.DiseaseGroup and Language values.
    disease_groups = models.JSONField(_("disease groups"), default=list, blank=True)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=15, help_text=_("The most open cases this navigator carries.")
    )
    accepting_new_cases = models.BooleanField(_("accepting new cases"), default=True)
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)

    class Meta:
        verbose_name = _("navigator")
        verbose_name_plural = _("navigators")
        ordering = ["user__first_name", "user__last_name"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()
