"""The second-opinion request (a case in code), its referring provider and its lifecycle.

Here too: the reference format and the lifecycle table `ALLOWED_TRANSITIONS`, which
services.case_transition consults before every status change.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    CLOSING_STATUSES,
    OPEN_STATUSES,
    SWEPT_TARGET_STATES,
    ContactMethod,
    ContactTime,
    CoverageChecked,
    DiseaseGroup,
    Language,
    Requester,
    Status,
    TargetState,
    USState,
)

# Easy to read aloud on the phone: no 0/O, 1/I/L, and no U (fewer accidental words).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8

# The lifecycle (DESIGN.md). Every status change goes through services.case_transition,
# which refuses anything not listed here.
_FORWARD = {
    Status.NEW: {Status.ASSIGNED},
    # Booking moves a case to scheduled from any status once assigned (BOOKABLE_STATUSES).
    Status.ASSIGNED: {Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE, Status.SCHEDULED},
    Status.GATHERING_RECORDS: {Status.READY_TO_SCHEDULE, Status.SCHEDULED},
    Status.READY_TO_SCHEDULE: {Status.SCHEDULED},
    Status.SCHEDULED: {Status.SEEN, Status.READY_TO_SCHEDULE},
    Status.SEEN: {Status.PLAN_DELIVERED},
    Status.PLAN_DELIVERED: {Status.CLOSED},
}
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(
        _FORWARD.get(status, set())
        | ({Status.WITHDRAWN, Status.DECLINED} if status in OPEN_STATUSES else set())
    )
    for status in Status.values
}


def new_reference() -> str:
    """Return a random reference such as `K7M4-9QXP` (not sequential: it reveals no volume)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_reference(raw: str) -> str:
    """Return a reference as stored, from what a person typed (any case, spaces, dashes)."""
    chars = "".join(ch for ch in raw.upper() if ch.isalnum())
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == REFERENCE_LENGTH else chars


def constrained_fields(model: type[models.Model]) -> frozenset[str]:
    """Return the fields a model's check constraints are about, read from the constraints."""

    def names(condition: models.Q) -> Iterator[str]:
        for child in condition.children:
            if isinstance(child, models.Q):
                yield from names(child)
            else:
                yield child[0].split(LOOKUP_SEP)[0]

    return frozenset(
        name
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
        for name in names(constraint.condition)
    )


class ReferringProvider(models.Model):
    """A referring provider's office, known by its NPI; kept up to date by each referral."""

    npi = models.CharField(_("NPI"), max_length=10, unique=True)
    name = models.CharField(_("provider name"), max_length=150)
    practice = models.CharField(_("practice"), max_length=150)
    phone = models.CharField(_("phone"), max_length=20)
    fax = models.CharField(_("fax"), max_length=20, blank=True)
    email = models.EmailField(_("email"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referring provider")
        verbose_name_plural = _("referring providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.practice})"


class InsuranceOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    NOT_COVERED = "not_covered", _("Not covered")
    SELF_PAY = "self_pay", _("Self-pay")


class SecondOpinionRequest(models.Model):
    """One request for a second opinion, from intake to the delivered plan."""

    reference = models.CharField(_("reference"), max_length=9, unique=True, editable=False)
    # One key per rendered form: a double click or a refresh re-posts the same key and finds
    # the request already made instead of making a second one.
    submission_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    requester_type = models.CharField(
        _("who is asking"), max_length=12, choices=Requester.choices, default=Requester.PATIENT
    )
    requester_first_name = models.CharField(_("your first name"), max_length=100, blank=True)
    requester_last_name = models.CharField(_("your last name"), max_length=100, blank=True)
    requester_relationship = models.CharField(
        _("your relationship to the patient"), max_length=100, blank=True
    )
    requester_email = models.EmailField(_("your email"), blank=True)
    requester_phone = models.CharField(_("your phone"), max_length=20, blank=True)

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    preferred_contact_method = models.CharField(
        _("best way to reach"),
        max_length=8,
        choices=ContactMethod.choices,
        default=ContactMethod.PHONE,
    )
    preferred_contact_time = models.CharField(
        _("best time to reach"),
        max_length=10,
        choices=ContactTime.choices,
        default=ContactTime.ANY,
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    other_language = models.CharField(_("other language"), max_length=60, blank=True)
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    # Required on the patient's form; a referral may not know them yet.
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, choices=USState.choices, blank=True)
    zip_code = models.CharField(_("ZIP code"), max_length=10, blank=True)

    cancer_type = models.CharField(_("cancer type"), max_length=20, choices=DiseaseGroup.choices)
    diagnosis_date = models.DateField(_("date of diagnosis"), null=True, blank=True)
    treatments = models.JSONField(_("treatment so far"), default=list, blank=True)
    current_oncologist = models.CharField(_("current oncologist"), max_length=150, blank=True)
    current_facility = models.CharField(_("current hospital or clinic"), max_length=150, blank=True)
    questions = models.TextField(
        _("what the second opinion should answer"), max_length=2000, blank=True
    )

    insurance_carrier = models.CharField(_("insurance company"), max_length=100, blank=True)
    insurance_member_id = models.CharField(_("member ID"), max_length=40, blank=True)
    coverage_checked = models.CharField(
        _("coverage checked"),
        max_length=4,
        choices=CoverageChecked.choices,
        default=CoverageChecked.NO,
    )

    needs_records_help = models.BooleanField(_("help getting medical records"), default=False)
    needs_travel = models.BooleanField(_("help with travel"), default=False)
    needs_lodging = models.BooleanField(_("help with lodging"), default=False)
    needs_financial = models.BooleanField(_("financial assistance"), default=False)
    insurance_outcome = models.CharField(
        _("insurance verification"),
        max_length=12,
        choices=InsuranceOutcome.choices,
        blank=True,
        default="",
    )

    referring_provider = models.ForeignKey(
        ReferringProvider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referring provider"),
    )
    # The office address given on this referral: its confirmation and updates go there, so a
    # later referral under the same (public) NPI cannot redirect this case's updates.
    referral_email = models.EmailField(_("referring office email"), blank=True)
    referral_reason = models.TextField(_("reason for referral"), max_length=2000, blank=True)
    referral_urgent = models.BooleanField(_("urgent referral"), default=False)

    consent_contact_at = models.DateTimeField(_("consented to be contacted at"), null=True)
    consent_records_at = models.DateTimeField(
        _("consented to records requests at"), null=True, blank=True
    )
    privacy_acknowledged_at = models.DateTimeField(_("privacy notice read at"), null=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    navigator = models.ForeignKey(
        "navigators.Navigator",
        verbose_name=_("navigator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    target_date = models.DateField(_("target date"))
    target_state = models.CharField(
        _("target"), max_length=10, choices=TargetState.choices, default=TargetState.ON_TRACK
    )
    # The first appointment that still stands (kept by services.case_target_refresh).
    first_appointment_at = models.DateTimeField(_("first appointment"), null=True, blank=True)
    seen_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    plan_target_date = models.DateField(_("plan target date"), null=True, blank=True)
    plan_delivered_at = models.DateTimeField(_("plan delivered"), null=True, blank=True)
    plan_target_state = models.CharField(
        _("plan target"), max_length=10, choices=TargetState.choices, blank=True, default=""
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason declined"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("second opinion request")
        verbose_name_plural = _("second opinion requests")
        ordering = ["-submitted_at"]
        permissions = [
            ("assign_case", _("Can assign and reassign cases to navigators")),
            ("take_case", _("Can take an unassigned case")),
            ("transition_case", _("Can move a case through its lifecycle")),
            ("view_dashboard", _("Can see the program dashboard")),
        ]
        indexes = [
            # The admin lists and "My cases": open cases by navigator, soonest target first.
            models.Index(fields=["navigator", "status", "target_date"]),
            models.Index(fields=["status", "target_date"]),
            models.Index(fields=["last_name", "first_name"]),
            # target_sweep_task: open cases whose target state can still change, by deadline.
            # Partial, so the sweep's cost follows the open cases, not every case ever.
            models.Index(
                fields=["target_date"],
                name="request_sweep_target_idx",
                condition=models.Q(status__in=OPEN_STATUSES, target_state__in=SWEPT_TARGET_STATES),
            ),
            # target_sweep_task: new cases still waiting for a navigator.
            models.Index(
                fields=["submitted_at"],
                name="request_unassigned_idx",
                condition=models.Q(status=Status.NEW, navigator__isnull=True),
            ),
            # target_sweep_task: the treatment-plan promise of cases seen and waiting for it.
            models.Index(
                fields=["plan_target_date"],
                name="request_sweep_plan_idx",
                condition=models.Q(status=Status.SEEN, plan_target_state__in=SWEPT_TARGET_STATES),
            ),
            # The dashboard's figures over the last 30 and 90 days.
            models.Index(fields=["submitted_at"], name="request_submitted_idx"),
            # retention_task: withdrawn and declined requests not anonymised yet.
            models.Index(
                fields=["closed_at"],
                name="request_retention_idx",
                condition=models.Q(
                    status__in=[Status.WITHDRAWN, Status.DECLINED], anonymised_at__isnull=True
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(target_state__in=TargetState.values),
                name="request_target_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(navigator__isnull=True) | models.Q(assigned_at__isnull=False),
                name="request_assigned_has_time",
            ),
        ]

    def __str__(self) -> str:
        # References only: a string form ends up in logs and admin messages.
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("admin:requests_secondopinionrequest_change", args=[self.pk])

    def validate_constraints(self, exclude: set[str] | None = None) -> None:
        """Check the model's constraints, unless every field they guard is excluded.

        They guard workflow fields (status, target state, navigator), which the services set
        and the database checks on save. The public forms exclude them all; evaluating each
        check in Python anyway (a compiled query each) was an eighth of a submission's time.
        """
        if exclude is not None and set(exclude) >= CONSTRAINED_FIELDS:
            return
        super().validate_constraints(exclude)

    @property
    def is_referral(self) -> bool:
        return self.referring_provider_id is not None

    @property
    def patient_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def contact_email(self) -> str:
        """Return the address our emails go to: the person who asked."""
        if self.requester_type == Requester.CAREGIVER and self.requester_email:
            return self.requester_email
        return self.email

    @property
    def greeting_name(self) -> str:
        """Return the first name our emails greet: the person who asked."""
        if self.requester_type == Requester.CAREGIVER and self.requester_first_name:
            return self.requester_first_name
        return self.first_name

    @property
    def email_language(self) -> str:
        """Return the language of the patient's emails: theirs when we have it, else English."""
        codes = {code for code, _name in settings.LANGUAGES}
        return self.preferred_language if self.preferred_language in codes else "en"

    def allowed_next_statuses(self) -> frozenset[str]:
        return ALLOWED_TRANSITIONS[self.status]

    def manual_moves(
        self, *, outstanding: int | None = None, now: datetime | None = None
    ) -> list[str]:
        """Return the statuses a person may move the case to by hand from here, in
        lifecycle order (withdrawn and declined last, each confirmed on its own page).

        Assignment and booking are not manual moves: they have their own actions. Only the
        moves that make sense now are offered: "ready to schedule" once no record item is
        outstanding (`outstanding`, counted here when not given) or when a visit's time has
        passed without it (to book again); "seen" once the first visit's time has come.
        """
        allowed = self.allowed_next_statuses() - {Status.ASSIGNED, Status.SCHEDULED}
        now = now or timezone.now()
        visit_passed = self.first_appointment_at is not None and self.first_appointment_at <= now
        moves = []
        for status in Status.values:
            if status not in allowed:
                continue
            if status == Status.SEEN and not visit_passed:
                continue
            if status == Status.READY_TO_SCHEDULE:
                if self.status == Status.SCHEDULED:
                    if not visit_passed:
                        continue  # Cancel the appointment instead: that moves the case back.
                else:
                    if outstanding is None:
                        # selectors.records.records_outstanding's count (models import no
                        # selector): items still needed or requested.
                        state = self.record_items.model.State
                        outstanding = self.record_items.filter(
                            status__in=(state.NEEDED, state.REQUESTED)
                        ).count()
                    if outstanding:
                        continue
            moves.append(status)
        return sorted(moves, key=lambda status: status in CLOSING_STATUSES)


# The fields SecondOpinionRequest's check constraints guard (its validate_constraints).
CONSTRAINED_FIELDS = constrained_fields(SecondOpinionRequest)
