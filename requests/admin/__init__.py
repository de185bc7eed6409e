"""The staff admin of the requests app, one module per subject.

cases (the case list and page's configuration), case_page (what the case page shows),
case_actions (the actions on a case), filters (every list filter), records (the records
desk and worklist, and items and documents on the case page), facilities (the facility
directory), support (the advocates' desk and worklist), outbox (emails owed), audit (the
audit trail), referrals (referring providers), search (finding rows by case reference).
"""

from . import audit, cases, facilities, outbox, records, referrals, support  # noqa: F401 (registers the model admins)
