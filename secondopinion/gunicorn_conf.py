"""Gunicorn's settings in production (README, "Production").

    gunicorn -c secondopinion/gunicorn_conf.py secondopinion.wsgi

The access log keeps each request's path and never its query string nor its Referer: staff
searches and filters, and the patients' status-link tokens, travel in query strings (PHI and
secrets in a log that is kept, copied and read by people who may not see them).
"""

from __future__ import annotations

import os

# Behind the reverse proxy on the same machine; GUNICORN_BIND to listen elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))

# "-" is standard output. %(U)s is the path alone (never %(r)s, the request line, nor %(q)s
# or %(f)s, the query string and the Referer); %(M)s the time taken in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# Only the local proxy may say the client's connection was HTTPS (X-Forwarded-Proto); the
# portal drops the headers of anyone else too (TrustedProxyMiddleware, the same variable).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXY_ADDRESSES", "127.0.0.1,::1")
