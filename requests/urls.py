from __future__ import annotations

from django.urls import path

from . import views

app_name = "requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.request_create, name="create"),
    path("request/thanks/", views.request_thanks, name="thanks"),
]
