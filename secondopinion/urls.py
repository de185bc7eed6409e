from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("requests.urls")),
]

handler400 = "secondopinion.views.bad_request"
handler500 = "secondopinion.views.server_error"
