"""URLs of the requests app: the public pages and the staff pages outside the admin."""

from __future__ import annotations

from django.urls import path

from . import staff_views, views

app_name = "requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.request_create, name="create"),
    path("request/thanks/", views.request_thanks, name="thanks"),
    path("refer/", views.referral_create, name="refer"),
    path("refer/thanks/", views.referral_thanks, name="refer_thanks"),
    path("status/", views.status_lookup, name="status"),
    path("status/open/", views.status_open, name="status_open"),
    path("status/view/", views.status_view, name="status_view"),
    path("status/withdraw/", views.status_withdraw_view, name="status_withdraw"),
    path("documents/<uuid:public_id>/", staff_views.document_download, name="document_download"),
    path("dashboard/", staff_views.dashboard, name="dashboard"),
    path("dashboard/export.csv", staff_views.dashboard_export, name="dashboard_export"),
]
