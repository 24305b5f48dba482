"""Who is asking: the client's address, from the trusted forwarded header when we sit behind a proxy.

One answer for the sign-in lock-out (django-axes reads the same AXES_IPWARE_* settings) and the rate
limits, so that a person is never counted under the load balancer's address.
"""

from django.conf import settings
from ipware.ip import get_client_ip


def client_ip(request):
    address, _routable = get_client_ip(
        request,
        proxy_order=settings.AXES_IPWARE_PROXY_ORDER,
        proxy_count=settings.AXES_IPWARE_PROXY_COUNT,
        request_header_order=settings.AXES_IPWARE_META_PRECEDENCE_ORDER,
    )
    return address or request.META.get("REMOTE_ADDR", "")


def client_address(group, request):
    """django-ratelimit's key: the client's address."""
    return client_ip(request)
