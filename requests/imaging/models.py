"""Imaging from the patient's disc: the upload, the studies and series read from it.

The images themselves stay in private storage (the uploaded archive) and, when ORTHANC_URL
is set, in Orthanc; these tables are the index: UIDs, counts, sizes, the match decision.
Patient name, birth date and sex are kept as read from the images so records staff can
compare them with the case: they are PHI and never go into a log or an audit detail.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ImagingSeries", "ImagingStudy", "ImagingUpload"]


class ImagingUpload(models.Model):
    """One disc (a folder or a .zip) uploaded to a case, and what reading it found."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Being read")
        DONE = "done", _("Read")
        REFUSED = "refused", _("Refused")

    class Source(models.TextChoices):
        ZIP = "zip", _("Zip file")
        FOLDER = "folder", _("Folder")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        "requests.SecondOpinionRequest",
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="imaging_uploads",
    )
    # Empty when the patient uploaded it from their space.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=6, choices=Source.choices)
    # Always a zip in private storage (a folder is packed into one as it is received), under
    # a random name: nothing of the patient's file names reaches the storage.
    storage_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    # Why it was refused, in a plain sentence the uploader can act on (in English, as the
    # worker wrote it), and the kind of refusal, for a page to say it in the reader's language.
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=20, blank=True)
    file_count = models.PositiveIntegerField(default=0)
    dicom_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # [{"name": path on the disc, "reason": why it was not read as an image}], the first few
    # hundred: viewer programs, autorun files, corrupt files.
    skipped = models.JSONField(default=list, blank=True)
    # Notes about the disc as a whole ("the DICOMDIR lists 3 files that are not on the disc").
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("imaging upload")
        verbose_name_plural = _("imaging uploads")
        ordering = ["created_at", "pk"]
        indexes = [
            # imaging_requeue_task: uploads whose reading was lost.
            models.Index(
                fields=["created_at"],
                name="imaging_upload_unread_idx",
                condition=models.Q(state__in=["received", "processing"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["received", "processing", "done", "refused"]),
                name="imaging_upload_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Imaging upload #{self.pk} ({self.state})"


class ImagingStudy(models.Model):
    """One study (a CT, an MRI ...) found on a disc, indexed by its Study Instance UID."""

    class Match(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        MATCHED = "matched", _("This patient's")
        HELD = "held", _("Held for records staff")
        REJECTED = "rejected", _("Rejected")

    class Send(models.TextChoices):
        NOT_SENT = "", _("Not sent")
        PENDING = "pending", _("Waiting for the image server")
        SENT = "sent", _("In the image server")

    case = models.ForeignKey(
        "requests.SecondOpinionRequest",
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="imaging_studies",
    )
    upload = models.ForeignKey(ImagingUpload, on_delete=models.CASCADE, related_name="studies")
    study_uid = models.CharField(max_length=64)
    patient_name = models.CharField(max_length=200, blank=True)
    patient_birth_date = models.DateField(null=True, blank=True)
    patient_sex = models.CharField(max_length=16, blank=True)
    study_date = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=200, blank=True)
    modalities = models.JSONField(default=list, blank=True)
    institution = models.CharField(max_length=200, blank=True)
    accession = models.CharField(max_length=64, blank=True)
    series_count = models.PositiveIntegerField(default=0)
    instance_count = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    match_state = models.CharField(max_length=10, choices=Match.choices, default=Match.PENDING)
    # Why it was held, as plain sentences without the values compared ("the name differs").
    match_reasons = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    send_state = models.CharField(max_length=8, choices=Send.choices, blank=True, default="")
    orthanc_id = models.CharField(max_length=64, blank=True)
    # When a send last started: imaging_requeue queues again a study whose task was lost.
    send_attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("imaging study")
        verbose_name_plural = _("imaging studies")
        ordering = ["-study_date", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "study_uid"], name="imaging_study_per_case"),
            models.CheckConstraint(
                condition=models.Q(match_state__in=["pending", "matched", "held", "rejected"]),
                name="imaging_study_match_valid",
            ),
        ]
        indexes = [
            # The records worklist of studies held for a decision.
            models.Index(
                fields=["created_at"],
                name="imaging_study_held_idx",
                condition=models.Q(match_state="held"),
            ),
            # imaging_requeue_task: studies still waiting for the image server.
            models.Index(
                fields=["send_attempted_at"],
                name="imaging_study_send_idx",
                condition=models.Q(send_state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Imaging study #{self.pk} ({self.match_state})"


class ImagingSeries(models.Model):
    """One series of a study, with the SOP Instance UIDs of its images and where they are."""

    study = models.ForeignKey(ImagingStudy, on_delete=models.CASCADE, related_name="series")
    # The upload whose archive holds this series' files.
    upload = models.ForeignKey(ImagingUpload, on_delete=models.CASCADE, related_name="series")
    series_uid = models.CharField(max_length=64)
    number = models.IntegerField(null=True, blank=True)
    modality = models.CharField(max_length=16, blank=True)
    body_part = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200, blank=True)
    instance_count = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    # [[member name in the archive, SOP Instance UID, size], ...] in instance order: what to
    # send to Orthanc, and what sending twice must not duplicate.
    instances = models.JSONField(default=list, blank=True)
    preview_storage_name = models.CharField(max_length=200, blank=True)
    # Why there is no preview, when there is none.
    preview_note = models.CharField(max_length=200, blank=True)
    orthanc_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("imaging series")
        verbose_name_plural = _("imaging series")
        ordering = ["number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "series_uid"], name="imaging_series_per_study"
            ),
        ]

    def __str__(self) -> str:
        return f"Imaging series #{self.pk} ({self.modality})"
