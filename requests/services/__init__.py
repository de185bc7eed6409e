"""The writes on cases, by subject; each module owns its rule, this package names them all.

intake (the public form, referrals, staff corrections), lifecycle (status changes, notes),
contacts (attempts to reach the patient), appointments (and the first-appointment target they
decide), closing (withdraw, decline, reopen), records, support, documents (storing and
scanning), status_links (the patient's status page), outbox (emails owed), delivery (sending
one), retention, sweep (the target sweep). Tasks call these; these queue
tasks through requests.jobs, by name, and never import them.
"""

from __future__ import annotations

from .appointments import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    case_target_refresh,
)
from .closing import CLOSE_MOVES, case_close, case_reopen
from .contacts import case_contact_log
from .delivery import notification_send
from .documents import document_scan, document_scan_requeue, document_store
from .intake import case_details_update, case_submit, referral_submit
from .lifecycle import case_note_add, case_transition, referrer_update
from .outbox import (
    claim_timeout,
    notification_enqueue,
    notification_owe,
    notification_owe_many,
    notification_requeue,
    notification_resend,
    notifications_enqueue,
)
from .records import (
    RECORD_FIELDS,
    UNKNOWN_FACILITY,
    default_record_kinds,
    facility_save,
    record_item_check,
    record_item_mark_received,
    record_item_mark_requested,
    record_item_receive_document,
    record_item_save,
    record_items_mark,
    record_items_start,
    records_digest,
)
from .retention import retention_anonymise
from .status_links import status_link_mint, status_link_open, status_link_send, status_withdraw
from .support import (
    support_kinds_for,
    support_task_save,
    support_task_take,
    support_task_update,
    support_tasks_start,
)
from .sweep import SweepResult, target_sweep

__all__ = [
    "CLOSE_MOVES",
    "RECORD_FIELDS",
    "UNKNOWN_FACILITY",
    "SweepResult",
    "appointment_book",
    "appointment_cancel",
    "appointment_move",
    "case_close",
    "case_contact_log",
    "case_details_update",
    "case_note_add",
    "case_reopen",
    "case_submit",
    "case_target_refresh",
    "case_transition",
    "claim_timeout",
    "default_record_kinds",
    "document_scan",
    "document_scan_requeue",
    "document_store",
    "facility_save",
    "notification_enqueue",
    "notification_owe",
    "notification_owe_many",
    "notification_requeue",
    "notification_resend",
    "notification_send",
    "notifications_enqueue",
    "record_item_check",
    "record_item_mark_received",
    "record_item_mark_requested",
    "record_item_receive_document",
    "record_item_save",
    "record_items_mark",
    "record_items_start",
    "records_digest",
    "referral_submit",
    "referrer_update",
    "retention_anonymise",
    "status_link_mint",
    "status_link_open",
    "status_link_send",
    "status_withdraw",
    "support_kinds_for",
    "support_task_save",
    "support_task_take",
    "support_task_update",
    "support_tasks_start",
    "target_sweep",
]
