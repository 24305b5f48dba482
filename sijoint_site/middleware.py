"""Headers Django does not set itself, and the Content Security Policy on every answer."""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation

# Patient pages need none of these browser features; saying so stops any injected code from asking.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, placed first so that static files, cached pages and error pages all get the
    policy. The site uses one fixed policy (no nonces, no per-view changes), so it is built once per process
    rather than for every answer, which cost a quarter of a cached page's time."""

    _PER_VIEW = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt", "_csp_config_ro", "_csp_update_ro")

    def process_response(self, request, response):
        if HEADER in response:
            return response
        if any(hasattr(response, name) for name in self._PER_VIEW) or "_csp_nonce" in request.__dict__:
            return super().process_response(request, response)
        response[HEADER] = fixed_policy()
        return response


_policy = {}


def fixed_policy():
    if "value" not in _policy:
        _policy["value"] = build_policy()
    return _policy["value"]


@receiver(setting_changed)
def _policy_forget(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policy.clear()


class PathLanguageMiddleware:
    """The language of a page is in its address and nowhere else: /es/... is Spanish, everything else English.

    Never a cookie or the browser's Accept-Language, so one address always gives the same answer (the page
    cache and the front server key on the address alone, and no `Vary: Accept-Language` is needed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        spanish = translation.get_language_from_path(request.path_info) == "es"
        language = "es" if spanish else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            translation.activate(settings.LANGUAGE_CODE)
        response.setdefault("Content-Language", "es" if language == "es" else "en")
        return response
