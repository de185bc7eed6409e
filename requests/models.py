"""The second-opinion request and what hangs off it."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

from .choices import (
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

# In lifecycle order (a tuple, so that the partial indexes below migrate deterministically).
OPEN_STATUSES: tuple[str, ...] = (
    Status.NEW,
    Status.ASSIGNED,
    Status.GATHERING_RECORDS,
    Status.READY_TO_SCHEDULE,
    Status.SCHEDULED,
    Status.SEEN,
    Status.PLAN_DELIVERED,
)
# States the target sweep may still change; met and missed are final.
SWEPT_TARGET_STATES: tuple[str, ...] = (TargetState.ON_TRACK, TargetState.AT_RISK)

# The lifecycle (DESIGN.md). Every status change goes through services.case_transition,
# which refuses anything not listed here.
_FORWARD = {
    Status.NEW: {Status.ASSIGNED},
    Status.ASSIGNED: {Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE},
    Status.GATHERING_RECORDS: {Status.READY_TO_SCHEDULE},
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
    # The first appointment that still stands (kept by services.request_target_refresh).
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


# The fields SecondOpinionRequest's check constraints guard (its validate_constraints).
CONSTRAINED_FIELDS = constrained_fields(SecondOpinionRequest)


class StatusChange(models.Model):
    """One transition of a request's status: the case's history."""

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    # Empty when the patient or the system made the change.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["request", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '-'} -> {self.to_status}"


class TargetAlert(models.Model):
    """One alert sent about a case's target: at most one per case and level."""

    class Level(models.TextChoices):
        AT_RISK = "at_risk", _("At risk of missing the 7-day target")
        OVERDUE = "overdue", _("Past the 7-day target")
        UNASSIGNED = "unassigned", _("Still unassigned")
        PLAN_OVERDUE = "plan_overdue", _("Treatment plan past its target")

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="target_alerts"
    )
    level = models.CharField(max_length=12, choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two sweeps running at once (two beat processes by mistake) cannot both alert.
            models.UniqueConstraint(fields=["request", "level"], name="one_alert_per_case_level"),
        ]

    def __str__(self) -> str:
        return f"{self.level} on {self.request_id}"


class Assignment(models.Model):
    """One assignment of a case to a navigator: the case's assignment history."""

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="assignments"
    )
    navigator = models.ForeignKey(
        "navigators.Navigator", on_delete=models.PROTECT, related_name="assignments"
    )
    previous_navigator = models.ForeignKey(
        "navigators.Navigator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Empty when the assignment job chose the navigator.
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        indexes = [models.Index(fields=["request", "assigned_at"])]

    def __str__(self) -> str:
        return f"{self.request_id} -> {self.navigator_id}"


class CaseNote(models.Model):
    """A navigator's note on a case, or one attempt to reach the patient."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Phone call")
        VOICEMAIL = "voicemail", _("Voicemail left")
        EMAIL = "email", _("Email")
        TEXT = "text", _("Text message")

    class Outcome(models.TextChoices):
        NONE = "", _("Not a contact attempt")
        REACHED = "reached", _("Reached the patient")
        NO_ANSWER = "no_answer", _("No answer")
        LEFT_MESSAGE = "left_message", _("Left a message")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NOTE)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    body = models.TextField(_("note"), max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("note or contact attempt")
        verbose_name_plural = _("notes and contact attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"


class Appointment(models.Model):
    """A visit with the center's specialists."""

    class Specialty(models.TextChoices):
        MEDICAL = "medical", _("Medical oncology")
        SURGICAL = "surgical", _("Surgical oncology")
        RADIATION = "radiation", _("Radiation oncology")
        MULTIDISCIPLINARY = "multidisciplinary", _("Multidisciplinary clinic")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video visit")

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        MISSED = "missed", _("Missed")
        COMPLETED = "completed", _("Completed")

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="appointments"
    )
    starts_at = models.DateTimeField(_("date and time"))
    specialty = models.CharField(_("specialty"), max_length=20, choices=Specialty.choices)
    clinician = models.CharField(_("clinician"), max_length=150)
    modality = models.CharField(
        _("in person or video"),
        max_length=10,
        choices=Modality.choices,
        default=Modality.IN_PERSON,
    )
    location = models.CharField(
        _("location"),
        max_length=200,
        blank=True,
        help_text=_("Building, floor and clinic; or the video link's instructions."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["request", "state", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_specialty_display()} on {self.request_id}"


class RecordItem(models.Model):
    """One outside medical record to obtain from a named facility."""

    class Kind(models.TextChoices):
        PATHOLOGY_REPORT = "pathology_report", _("Pathology report")
        PATHOLOGY_SLIDES = "pathology_slides", _("Pathology slides or blocks")
        IMAGING_REPORT = "imaging_report", _("Imaging report")
        IMAGING_DISC = "imaging_disc", _("Imaging disc (DICOM)")
        OPERATIVE_REPORT = "operative_report", _("Operative report")
        MOLECULAR_REPORT = "molecular_report", _("Molecular or genomic report")
        LABS = "labs", _("Lab results")
        CLINIC_NOTES = "clinic_notes", _("Clinic notes")
        TREATMENT_SUMMARY = "treatment_summary", _("Treatment summary")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        NEEDED = "needed", _("Needed")
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        UNABLE = "unable", _("Unable to obtain")
        NOT_NEEDED = "not_needed", _("Not needed")

    class Method(models.TextChoices):
        NONE = "", _("Not requested yet")
        FAX = "fax", _("Fax")
        PORTAL = "portal", _("Portal")
        MAIL = "mail", _("Mail")
        COURIER = "courier", _("Courier")
        EMAIL = "email", _("Secure email")

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="record_items"
    )
    kind = models.CharField(_("item"), max_length=20, choices=Kind.choices)
    facility = models.CharField(_("from facility"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.NEEDED
    )
    method = models.CharField(
        _("method"), max_length=8, choices=Method.choices, blank=True, default=""
    )
    tracking_number = models.CharField(
        _("tracking number"),
        max_length=60,
        blank=True,
        help_text=_("For slides, blocks and discs sent by mail or courier."),
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    # The local date of the last daily digest that listed this item: one digest a day.
    last_digest_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("record item")
        verbose_name_plural = _("record items")
        ordering = ["created_at", "pk"]
        indexes = [
            # The records worklist and records_digest_task: outstanding items, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="record_outstanding_idx",
                condition=models.Q(status__in=["needed", "requested"]),
            ),
            models.Index(fields=["request", "status"]),
            # The facility report: received items by facility.
            models.Index(
                fields=["facility", "received_at"],
                name="record_received_idx",
                condition=models.Q(status="received"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["needed", "requested", "received", "unable", "not_needed"]
                ),
                name="record_item_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.facility}"

    @property
    def is_outstanding(self) -> bool:
        return self.status in {self.State.NEEDED, self.State.REQUESTED}


class PrivateStorage(LazyObject):
    """The "private" storage of STORAGES, looked up again whenever that setting changes."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        private_storage._wrapped = empty


def _private_storage() -> Storage:
    return private_storage


def _document_name(instance: Document, filename: str) -> str:
    # A random name: nothing of the patient's file name reaches the storage.
    return f"documents/{uuid.uuid4().hex}"


class DocumentQuerySet(models.QuerySet):
    def cleared(self) -> DocumentQuerySet:
        """Return the documents staff may open: scanned clean, or stored with no scanner set.

        Not an access rule (navigators.access decides who sees a case's documents): a file
        still waiting for its scan, or found infected, is shown to no one, whatever the role.
        """
        return self.filter(scan_state__in=Document.CLEARED_STATES)


class Document(models.Model):
    """A file the patient or staff uploaded, kept in private storage."""

    class ScanState(models.TextChoices):
        PENDING = "pending", _("Waiting for the virus scan")
        CLEAN = "clean", _("Scanned, clean")
        INFECTED = "infected", _("Infected (file deleted)")
        NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")

    CLEARED_STATES = (ScanState.CLEAN, ScanState.NOT_SCANNED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="documents"
    )
    record_item = models.ForeignKey(
        RecordItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        verbose_name=_("record item"),
    )
    file = models.FileField(storage=_private_storage, upload_to=_document_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Empty when the patient attached it to the request form.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Pending until clamd gives a verdict (and the default, so that a row written by any
    # other path stays hidden until scanned); not_scanned when CLAMD_SOCKET is unset.
    scan_state = models.CharField(
        max_length=12, choices=ScanState.choices, default=ScanState.PENDING
    )
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "pk"]
        indexes = [
            # document_scan_requeue (beat) finds the documents still waiting for a scan.
            models.Index(
                fields=["uploaded_at"],
                condition=models.Q(scan_state="pending"),
                name="document_scan_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("requests:document_download", args=[self.public_id])


class SupportTask(models.Model):
    """Practical help a patient asked for: travel, lodging, money, an interpreter, insurance."""

    class Kind(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        LODGING = "lodging", _("Lodging")
        FINANCIAL = "financial", _("Financial assistance")
        INTERPRETER = "interpreter", _("Interpreter")
        INSURANCE = "insurance", _("Insurance verification")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        NOT_NEEDED = "not_needed", _("Not needed")

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="support_tasks"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("support task")
        verbose_name_plural = _("support tasks")
        ordering = ["created_at", "pk"]
        indexes = [
            # The advocates' worklist: open tasks.
            models.Index(
                fields=["created_at"],
                name="support_open_idx",
                condition=models.Q(status__in=["open", "in_progress"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_support_task_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.request_id}"

    @property
    def is_open(self) -> bool:
        return self.status in {self.State.OPEN, self.State.IN_PROGRESS}


class StatusLink(models.Model):
    """A single-use link, valid 24 hours, that lets a patient see their request's status."""

    request = models.ForeignKey(
        SecondOpinionRequest, on_delete=models.CASCADE, related_name="status_links"
    )
    # Only a hash of the link's secret is kept: a leaked database does not leak live links.
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return f"status link #{self.pk}"


USER_AGENT_MAX_LENGTH = 300


class AuditEvent(models.Model):
    """One staff read or change of a patient's record: append-only, kept in UTC.

    A row holds who, what, where from and when, with field names, ids and counts: never a
    value of the record (a name, a search term), so that retention has nothing to rewrite.
    On PostgreSQL a trigger refuses any UPDATE or DELETE of a row (the audit_append_only
    migration).
    """

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Viewed the case")
        VIEW = "view", _("Viewed a page")
        VIEW_LIST = "view_list", _("Viewed a list")
        VIEW_HISTORY = "view_history", _("Viewed a history")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded a document")
        UPLOAD = "upload", _("Uploaded a document")
        CHANGE = "change", _("Changed")
        CREATE = "create", _("Created")
        DELETE = "delete", _("Deleted")
        BULK = "bulk", _("Bulk action")
        ANONYMISE = "anonymise", _("Anonymised")

    # PROTECT: a case with a trail is never deleted (retention anonymises it), and SET_NULL
    # would be an UPDATE of audit rows, which the trigger refuses.
    request = models.ForeignKey(
        SecondOpinionRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Field names, ids and counts only (supervisors read it on the case's trail).
    detail = models.JSONField(default=dict, blank=True)
    # Where the staff request came from (None for jobs and services run outside a request).
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["request", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class Notification(models.Model):
    """One email the system owes: written with what caused it, sent once by a task.

    The row is the source of truth: a task claims it with a conditional UPDATE, sends, and
    marks it sent, so a lost task, a dead worker or a broker outage delays an email but never
    loses or doubles it (the requeue job finds rows left pending).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Request confirmation")
        ASSIGNMENT = "assignment", _("Case assigned to a navigator")
        UNASSIGNED = "unassigned", _("No navigator fits a new case")
        APPOINTMENT = "appointment", _("Appointment booked")
        ALERT_AT_RISK = "alert_at_risk", _("Alert: case at risk")
        ALERT_OVERDUE = "alert_overdue", _("Alert: case overdue")
        ALERT_UNASSIGNED = "alert_unassigned", _("Alert: case still unassigned")
        ALERT_PLAN_OVERDUE = "alert_plan_overdue", _("Alert: treatment plan overdue")
        RECORDS_COMPLETE = "records_complete", _("Records complete")
        RECORDS_DIGEST = "records_digest", _("Daily records digest")
        REFERRAL_PROVIDER = "referral_provider", _("Referral received (to the provider)")
        REFERRAL_PATIENT = "referral_patient", _("Your doctor referred you (to the patient)")
        REFERRER_UPDATE = "referrer_update", _("Update to the referring provider")
        STATUS_LINK = "status_link", _("Link to the request's status")
        PATIENT_WITHDREW = "patient_withdrew", _("The patient withdrew the request")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    request = models.ForeignKey(
        SecondOpinionRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    # What makes this email unique, e.g. "confirmation:<request id>": owed at most once.
    dedupe_key = models.CharField(max_length=120, unique=True)
    recipient = models.EmailField()
    language = models.CharField(max_length=5, default="en")
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # notification_requeue_task: pending and stuck rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="notification_unsent_idx",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sending", "sent", "failed"]),
                name="notification_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


from .imaging.models import ImagingSeries, ImagingStudy, ImagingUpload  # noqa: E402,F401
