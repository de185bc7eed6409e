"""The staff admin of the requests app, one module per subject."""

from . import cases, outbox, records, support  # noqa: F401 (registers the model admins)
