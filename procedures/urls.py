from django.urls import path

from . import api, views

app_name = "procedures"

urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/<slug:slug>/", views.procedure_detail, name="detail"),
    path("guides/<slug:slug>/", views.guide_detail, name="guide"),
    path("glossary/", views.glossary, name="glossary"),
    path("preview/pending/<int:pk>/", views.pending_preview, name="pending_preview"),
    path("clinics/", views.clinic_finder, name="clinic_finder"),
    path("clinics/<slug:slug>/", views.clinic_detail, name="clinic_detail"),
    # The API is not a page in a language: sijoint_site/urls.py mounts it outside i18n_patterns.
]

api_urlpatterns = [
    path("api/clinics/", api.clinics, name="clinic_api"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
]
