"""The portal's own settings, read from the environment as in production, serving one more
URL: the trivial view the HTTP benchmark measures beside the real pages (bench/web.py)."""

from secondopinion.settings import *  # noqa: F403

ROOT_URLCONF = "web_urls"
