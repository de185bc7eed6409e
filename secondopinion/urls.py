"""The project's URLs: the staff admin, health, robots and icons, languages, the public pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from . import seo, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", views.health, name="health"),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("favicon.ico", seo.icon, {"name": "favicon.ico"}, name="favicon"),
    path("apple-touch-icon.png", seo.icon, {"name": "apple-touch-icon.png"}, name="touch_icon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("requests.urls")),
]

handler400 = "secondopinion.views.bad_request"
handler500 = "secondopinion.views.server_error"
