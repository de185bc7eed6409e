"""Logging that cannot leak PHI: messages keep their shape, never the values behind them.

An exception's message can carry what a patient typed (an integrity error quotes the
offending row, an SMTP refusal quotes the address), so exceptions are logged with their type
and traceback only. Request bodies and form data are never logged: no handler here formats
the request, and the request object attached by Django is dropped.
"""

from __future__ import annotations

import logging
import traceback

REDACTED = "[redacted]"


class RedactPHI(logging.Filter):
    """Strip exception messages, attached requests and Celery task arguments from records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, tb = record.exc_info
            frames = "".join(traceback.format_tb(tb))
            record.exc_text = (
                f"Traceback (most recent call last):\n{frames}{kind.__name__}: {REDACTED}"
            )
            record.exc_info = None
        if hasattr(record, "request"):
            record.request = None
        if record.name.startswith("celery") and isinstance(record.args, dict):
            args = dict(record.args)
            for key in ("args", "kwargs", "traceback"):
                if key in args:
                    args[key] = REDACTED
            if "exc" in args:
                args["exc"] = (
                    f"{type(args['exc']).__name__}: {REDACTED}"
                    if isinstance(args["exc"], BaseException)
                    else REDACTED
                )
            record.args = args
        return True
