from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("markdownx/", include("markdownx.urls")),
    path("", include("procedures.urls")),
]

handler500 = "procedures.views.server_error"
