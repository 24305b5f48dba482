from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import include, path, re_path
from django.views.static import serve

from procedures import views
from procedures.sitemaps import SITEMAPS

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    # django-markdownx's editor posts here; these views are ours so that only signed-in staff can use them.
    path("markdownx/markdownify/", views.markdown_preview, name="markdownx_markdownify"),
    path("markdownx/upload/", views.image_upload, name="markdownx_upload"),
    path("favicon.ico", views.favicon),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="django.contrib.sitemaps.views.sitemap"),
    path("", include("procedures.urls")),
]

if isinstance(default_storage, FileSystemStorage):
    # Uploaded images on local disk (one app server). With object storage they are served from there.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "procedures.views.page_not_found"
handler500 = "procedures.views.server_error"
