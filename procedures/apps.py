from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "procedures"
    verbose_name = "Patient information"

    def ready(self):
        from . import signals  # noqa: F401  (connects the cache-invalidation receivers)
