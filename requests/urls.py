from __future__ import annotations

from django.urls import path

from . import staff_views, views

app_name = "requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.request_create, name="create"),
    path("request/thanks/", views.request_thanks, name="thanks"),
    path("documents/<uuid:public_id>/", staff_views.document_download, name="document_download"),
    path("dashboard/", staff_views.dashboard, name="dashboard"),
    path("dashboard/export.csv", staff_views.dashboard_export, name="dashboard_export"),
]
