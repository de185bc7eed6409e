"""The facility directory: the outside hospitals and clinics that records are requested from."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Facility(models.Model):
    """An outside hospital or clinic, with how its records department is reached."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    phone = models.CharField(_("records phone"), max_length=40, blank=True)
    fax = models.CharField(_("records fax"), max_length=40, blank=True)
    address = models.TextField(_("address"), max_length=500, blank=True)
    release_notes = models.TextField(
        _("release notes"),
        max_length=2000,
        blank=True,
        help_text=_("How this facility releases records: forms, portal, turnaround, contacts."),
    )

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        indexes = [
            # record_item_save links an item to the directory by its typed name, whatever
            # its case ("mercy general" finds "Mercy General").
            models.Index(Upper("name"), name="facility_name_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.name
