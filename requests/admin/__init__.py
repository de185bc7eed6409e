"""The staff admin of the requests app, one module per subject.

cases (the case list and pages' configuration), workspace (the case page: the workspace, its
small forms and the details page), case_page (the details page's sections, the moves),
case_actions (the actions on a case), filters (every list filter), records (the records
desk and worklist), facilities (the facility directory), support (the advocates' desk and
worklist), outbox (emails owed), audit (the audit trail), referrals (referring providers),
search (finding rows by case reference).
"""

from . import audit, cases, facilities, outbox, records, referrals, support  # noqa: F401 (registers the model admins)
