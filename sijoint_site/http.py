"""Which HTTP methods a public page answers."""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


def public_page(view):
    """A page anyone may read: GET and HEAD only, anything else 405 with an `Allow` header.

    CSRF-exempt so that a POST gets that 405 rather than a 403 CSRF page: the view changes nothing.
    """
    return csrf_exempt(require_safe(view))
