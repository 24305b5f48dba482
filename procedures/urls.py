from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/<slug:slug>/", views.procedure_detail, name="detail"),
]
