"""Demo data for a newcomer: staff for every role, navigators, and about 50 requests."""

from __future__ import annotations

import base64
import os
import random
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigators.models import Navigator
from navigators.roles import (
    NAVIGATORS,
    PATIENT_ADVOCATES,
    RECORDS_STAFF,
    SUPERVISORS,
    role_grant,
    superuser_grant,
)
from navigators.services import case_assign, case_auto_assign
from requests.choices import (
    ContactMethod,
    CoverageChecked,
    DiseaseGroup,
    Requester,
    Status,
    Treatment,
)
from requests.models import (
    Appointment,
    CaseNote,
    Facility,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
)
from requests.selectors import OUTSTANDING
from requests.services import (
    case_note_add,
    case_submit,
    case_target_refresh,
    case_transition,
    facility_save,
    record_item_save,
    record_items_mark,
    target_sweep,
)
from requests.targets import target_date_for

User = get_user_model()

# The demo's facility directory: the outside hospitals its patients name.
FACILITIES = [
    ("Riverside Medical Center", "617-555-0181", "617-555-0182", "12 River St, Cambridge, MA"),
    ("St. Anne's Hospital", "508-555-0143", "508-555-0144", "795 Middle St, Fall River, MA"),
    ("Valley Oncology Associates", "413-555-0127", "", "40 Main St, Springfield, MA"),
]

STAFF = [
    # username, first, last, role
    ("supervisor", "Grace", "Okafor", SUPERVISORS),
    ("navigator", "Nina", "Alvarez", NAVIGATORS),
    ("omar", "Omar", "Haddad", NAVIGATORS),
    ("li", "Li", "Chen", NAVIGATORS),
    ("rosa", "Rosa", "Pereira", NAVIGATORS),
    ("sam", "Sam", "Brooks", NAVIGATORS),
    ("records", "Ray", "Kowalski", RECORDS_STAFF),
    ("advocate", "Ada", "Nguyen", PATIENT_ADVOCATES),
]
NAVIGATOR_PROFILES = {
    "navigator": (["breast", "gynecologic"], ["en", "es"], 12),
    "omar": (["thoracic", "head_neck", "neuro"], ["en", "ar"], 12),
    "li": (["gastrointestinal", "hepatobiliary", "genitourinary"], ["en", "zh"], 12),
    "rosa": (
        ["leukemia", "lymphoma", "myeloma", "sarcoma", "skin", "endocrine"],
        ["en", "es", "pt"],
        10,
    ),
    "sam": (["other", "not_sure", "breast", "thoracic"], ["en"], 8),
}
# How many demo requests stand in each status, and how many days ago they were submitted.
PLAN = [
    (Status.NEW, 6, (0, 2)),
    (Status.ASSIGNED, 8, (0, 6)),
    (Status.GATHERING_RECORDS, 8, (1, 8)),
    (Status.READY_TO_SCHEDULE, 6, (2, 9)),
    (Status.SCHEDULED, 8, (2, 6)),
    (Status.SEEN, 4, (9, 20)),
    (Status.PLAN_DELIVERED, 3, (12, 25)),
    (Status.CLOSED, 3, (25, 45)),
    (Status.WITHDRAWN, 2, (5, 30)),
    (Status.DECLINED, 2, (5, 30)),
]
PATHS = {
    Status.ASSIGNED: [],
    Status.GATHERING_RECORDS: [Status.GATHERING_RECORDS],
    Status.READY_TO_SCHEDULE: [Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE],
    Status.SCHEDULED: [Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE, Status.SCHEDULED],
    Status.SEEN: [Status.READY_TO_SCHEDULE, Status.SCHEDULED, Status.SEEN],
    Status.PLAN_DELIVERED: [
        Status.READY_TO_SCHEDULE,
        Status.SCHEDULED,
        Status.SEEN,
        Status.PLAN_DELIVERED,
    ],
    Status.CLOSED: [
        Status.READY_TO_SCHEDULE,
        Status.SCHEDULED,
        Status.SEEN,
        Status.PLAN_DELIVERED,
        Status.CLOSED,
    ],
    Status.WITHDRAWN: [Status.WITHDRAWN],
    Status.DECLINED: [Status.DECLINED],
}
FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Mei",
    "Carlos",
    "Linda",
    "Kwame",
    "Elena",
    "David",
    "Fatima",
    "John",
    "Sofia",
    "Michael",
    "Priya",
    "William",
    "Grace",
    "Luis",
]
LAST_NAMES = [
    "Garcia",
    "Smith",
    "Johnson",
    "Nguyen",
    "Williams",
    "Brown",
    "Rodriguez",
    "Lee",
    "Martinez",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Patel",
    "Moore",
]
CITIES = [
    ("Boston", "MA", "02115"),
    ("Providence", "RI", "02903"),
    ("Hartford", "CT", "06103"),
    ("Worcester", "MA", "01608"),
    ("Manchester", "NH", "03101"),
    ("Portland", "ME", "04101"),
]
# New cases in languages no demo navigator speaks stay in the unassigned queue.
UNFITTING_LANGUAGES = ["ht", "ru", "ko", "vi", "fr", "other"]


class Command(BaseCommand):
    help = "Create demo staff (one per role), navigators and about 50 requests in every status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for local use: DEBUG is off (use --force to insist).")
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        users = self._staff(password)
        keys = self._second_factors(users)
        if SecondOpinionRequest.objects.exists():
            self.stdout.write("Requests already exist: demo requests not added again.")
        else:
            self._requests(users)
            self._facilities(users["records"])
            self.stdout.write(f"Added {SecondOpinionRequest.objects.count()} demo requests.")
        self._print_logins(password, keys)

    def _facilities(self, records_user: Any) -> None:
        """Add the directory entries; saving each links the items typed with its name."""
        for name, phone, fax, address in FACILITIES:
            facility_save(
                facility=Facility(
                    name=name,
                    phone=phone,
                    fax=fax,
                    address=address,
                    release_notes="Release form signed by the patient; fax the request.",
                ),
                by=records_user,
            )

    def _staff(self, password: str) -> dict[str, Any]:
        admin, _created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.org", "first_name": "Admin"}
        )
        admin.set_password(password)
        superuser_grant(admin)
        users = {"admin": admin}
        for username, first, last, role in STAFF:
            user, _created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            user.is_staff = True
            user.set_password(password)
            user.save()
            role_grant(user, role)
            users[username] = user
            if username in NAVIGATOR_PROFILES:
                groups, languages, capacity = NAVIGATOR_PROFILES[username]
                Navigator.objects.update_or_create(
                    user=user,
                    defaults={
                        "disease_groups": groups,
                        "languages": languages,
                        "capacity": capacity,
                        "accepting_new_cases": True,
                    },
                )
        return users

    def _second_factors(self, users: dict[str, Any]) -> dict[str, str]:
        """Give each demo user a TOTP device; return each one's key, for an authenticator app."""
        keys = {}
        for username, user in users.items():
            device = TOTPDevice.objects.filter(user=user, name="demo").first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
            keys[username] = base64.b32encode(device.bin_key).decode()
        return keys

    def _requests(self, users: dict[str, Any]) -> None:
        rng = random.Random(2026)  # noqa: S311 (demo data, not security)
        navigators = list(Navigator.objects.select_related("user"))
        # One transaction: the demo's emails are marked as not owed before anything is sent.
        with transaction.atomic():
            for status, count, (newest, oldest) in PLAN:
                for _index in range(count):
                    self._one_request(rng, status, rng.uniform(newest, oldest), navigators, users)
            target_sweep()
            Notification.objects.update(
                state=Notification.State.SENT,
                sent_at=timezone.now(),
                last_error="Demo data: not sent.",
            )

    def _one_request(
        self,
        rng: random.Random,
        status: str,
        days_ago: float,
        navigators: list[Navigator],
        users: dict[str, Any],
    ) -> None:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, zip_code = rng.choice(CITIES)
        navigator = rng.choice(navigators)
        if status == Status.NEW:
            cancer_type = rng.choice(DiseaseGroup.values)
            language = rng.choice(UNFITTING_LANGUAGES)
        else:
            cancer_type = rng.choice(navigator.disease_groups)
            language = rng.choice(navigator.languages)
        today = timezone.localdate()
        intake = SecondOpinionRequest(
            requester_type=Requester.PATIENT,
            first_name=first,
            last_name=last,
            date_of_birth=today.replace(year=today.year - rng.randint(25, 85), day=1),
            email=f"{first}.{last}{rng.randint(1, 999)}@example.com".lower(),
            phone=f"+1617555{rng.randint(1000, 9999)}",
            preferred_contact_method=rng.choice(ContactMethod.values),
            preferred_language=language,
            other_language="Polish" if language == "other" else "",
            interpreter_needed=language not in ("en",) and rng.random() < 0.5,
            city=city,
            state=state,
            zip_code=zip_code,
            cancer_type=cancer_type,
            diagnosis_date=today - timedelta(days=rng.randint(10, 120)),
            treatments=rng.choice(
                [
                    [Treatment.NONE],
                    [Treatment.SURGERY],
                    [Treatment.CHEMOTHERAPY, Treatment.RADIATION],
                ]
            ),
            current_facility=rng.choice(
                [
                    "Riverside Medical Center",
                    "St. Anne's Hospital",
                    "Valley Oncology Associates",
                    "",
                ]
            ),
            questions="Is the treatment plan I was offered the right one for me?",
            insurance_carrier=rng.choice(["Blue Cross", "Aetna", "Medicare", "Tufts Health"]),
            insurance_member_id=f"XJ{rng.randint(100000, 999999)}",
            coverage_checked=rng.choice(CoverageChecked.values),
            needs_records_help=rng.random() < 0.6,
            needs_travel=rng.random() < 0.3,
            needs_lodging=rng.random() < 0.2,
            needs_financial=rng.random() < 0.2,
        )
        case, _created = case_submit(
            intake=intake, submission_key=uuid.uuid4(), consent_records=True
        )
        submitted = timezone.now() - timedelta(days=days_ago)
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            submitted_at=submitted,
            target_date=target_date_for(submitted),
            consent_contact_at=submitted,
            consent_records_at=submitted,
            privacy_acknowledged_at=submitted,
        )
        case.refresh_from_db()
        if status == Status.NEW:
            # What the assignment task does after commit, done now so that the supervisors'
            # "no navigator fits" alerts are demo data too (and not sent).
            case_auto_assign(case_id=case.pk)
        else:
            self._work(rng, case, status, navigator, users)
        # Spread the history over the days since submission, in order.
        changes = list(case.status_changes.order_by("pk"))
        span = (timezone.now() - submitted) / (len(changes) + 1)
        for position, change in enumerate(changes):
            StatusChange.objects.filter(pk=change.pk).update(changed_at=submitted + span * position)
        case.refresh_from_db()
        case_target_refresh(case=case)

    def _work(
        self,
        rng: random.Random,
        case: SecondOpinionRequest,
        status: str,
        navigator: Navigator,
        users: dict[str, Any],
    ) -> None:
        case_assign(case=case, navigator=navigator, by=users["supervisor"])
        by = navigator.user
        case_note_add(
            case=case,
            by=by,
            kind=CaseNote.Kind.CALL,
            outcome=CaseNote.Outcome.REACHED,
            body="Introduced myself; explained the next steps and the records we need.",
        )
        for step in PATHS[status]:
            if step == Status.GATHERING_RECORDS:
                self._records_under_way(rng, case, users["records"])
            if step == Status.READY_TO_SCHEDULE:
                items = case.record_items.filter(status__in=OUTSTANDING)
                record_items_mark(
                    items=items, status=RecordItem.State.RECEIVED, by=users["records"]
                )
            if step == Status.SCHEDULED:
                self._appointment(rng, case, by, past=status != Status.SCHEDULED)
            note = (
                "Not a candidate for this program; referred back."
                if step == Status.DECLINED
                else ""
            )
            if step == Status.WITHDRAWN:
                note = "The patient chose to be treated closer to home."
            case_transition(case=case, to_status=step, by=by, note=note)
        if status in {Status.SEEN, Status.PLAN_DELIVERED, Status.CLOSED}:
            case.appointments.update(state=Appointment.State.COMPLETED)

    def _records_under_way(
        self, rng: random.Random, case: SecondOpinionRequest, records_user: Any
    ) -> None:
        """Request some items (a few days ago, so that some need chasing), receive a few."""
        for item in case.record_items.all():
            roll = rng.random()
            if roll < 0.3:
                continue
            before = {"status": item.status}
            item.status = RecordItem.State.RECEIVED if roll > 0.75 else RecordItem.State.REQUESTED
            item.method = rng.choice(["fax", "portal", "courier"])
            record_item_save(item=item, by=records_user, before=before)
            requested = case.submitted_at + timedelta(hours=rng.randint(2, 30))
            RecordItem.objects.filter(pk=item.pk).update(requested_at=requested)
            if item.status == RecordItem.State.RECEIVED:
                RecordItem.objects.filter(pk=item.pk).update(
                    received_at=requested + timedelta(days=rng.uniform(0.5, 3))
                )

    def _appointment(
        self, rng: random.Random, case: SecondOpinionRequest, by: Any, *, past: bool
    ) -> None:
        offset = timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
        day = case.submitted_at + offset if past else timezone.now() + offset
        starts_at = timezone.localtime(day).replace(
            hour=9 + rng.randint(0, 6), minute=0, second=0, microsecond=0
        )
        Appointment.objects.create(
            case=case,
            starts_at=starts_at,
            specialty=rng.choice(Appointment.Specialty.values),
            clinician=rng.choice(["Dr. Helen Park", "Dr. Samuel Osei", "Dr. Julia Romero"]),
            modality=Appointment.Modality.IN_PERSON,
            location="Cancer Center, Building B, 3rd floor",
            booked_by=by,
        )

    def _print_logins(self, password: str, keys: dict[str, str]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins at /admin/ (password for all: {password})")
        mfa = settings.MFA_REQUIRED
        if mfa:
            self.stdout.write(
                "  A second factor is required: add each key to an authenticator app."
            )
        self.stdout.write(
            "  admin       superuser" + (f"  TOTP key {keys['admin']}" if mfa else "")
        )
        for username, first, last, role in STAFF:
            key = f"  TOTP key {keys[username]}" if mfa else ""
            self.stdout.write(f"  {username:<11} {first} {last}, {role}{key}")
