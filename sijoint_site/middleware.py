"""Headers Django does not set itself, and the Content Security Policy on every answer."""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware

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
    """django-csp's middleware, placed first so that static files and error pages get the policy too,
    skipping responses that already carry it: a page from the cache keeps the policy it was stored with,
    so the policy is not rebuilt for every cached answer (that cost a third of a cached request)."""

    def process_response(self, request, response):
        if HEADER in response:
            return response
        return super().process_response(request, response)
