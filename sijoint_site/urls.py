from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.static import serve

from procedures import checks
from procedures import views as procedure_views
from procedures.sitemaps import SITEMAPS
from procedures.urls import api_urlpatterns

from . import views
from .http import public_page

urlpatterns = [
    # The editor's live checks (staff only); before the admin's own URLs, which would answer 404 for it.
    path(f"{settings.ADMIN_PATH}checks/section/", checks.section_checks, name="section_checks"),
    path(settings.ADMIN_PATH, admin.site.urls),
    # django-markdownx's editor posts here; these views are ours so that only signed-in staff can use them.
    path("markdownx/markdownify/", procedure_views.markdown_preview, name="markdownx_markdownify"),
    path("markdownx/upload/", procedure_views.image_upload, name="markdownx_upload"),
    path("favicon.ico", views.favicon),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", public_page(sitemap), {"sitemaps": SITEMAPS}, name="django.contrib.sitemaps.views.sitemap"),
    # The API keeps its one address in every language (no /es/ copy).
    path("", include((api_urlpatterns, "api"))),
    # Patient pages in English at their own addresses, and in Spanish at the same addresses under /es/.
    # The language comes from the path only (sijoint_site.middleware.PathLanguageMiddleware).
    *i18n_patterns(path("", include("procedures.urls")), prefix_default_language=False),
]

if settings.DEBUG:
    # Uploaded images on a development machine. In production the front server (deploy/nginx.conf) or
    # object storage serves them; Django never does.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "sijoint_site.views.page_not_found"
handler500 = "sijoint_site.views.server_error"
