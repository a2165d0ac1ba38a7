from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class MerchantMiddleware:
    """Set ``request.merchant``: the signed-in user's firm, else None.

    Every selector takes this merchant, so a row of another firm is never
    found (a 404, not a 403: no existence leak).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        request.merchant = user.merchant if user.is_authenticated else None
        return self.get_response(request)
