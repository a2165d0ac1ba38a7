"""``/webhooks/<processor>/``: the processor's signed events come in here.

No session, no CSRF token: the HMAC signature is the authentication. A bad
signature, a stale timestamp or a body that is not an event gets 400 and
changes nothing; a replay gets 200 and changes nothing.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payportal.processors import services
from payportal.processors.base import SignatureError
from payportal.processors.registry import UnknownProcessor

logger = logging.getLogger(__name__)


@csrf_exempt  # Signed by the processor instead; there is no session.
@require_POST
def webhook(request: HttpRequest, processor: str) -> HttpResponse:
    try:
        receipt = services.receive(
            processor=processor, headers=request.headers, body=request.body
        )
    except UnknownProcessor:
        return JsonResponse({"error": "unknown processor"}, status=404)
    except SignatureError as error:
        logger.warning("webhook to %s refused: %s", processor, error)
        return JsonResponse({"error": "invalid signature"}, status=400)
    except ValueError as error:
        logger.warning("webhook to %s refused: %s", processor, error)
        return JsonResponse({"error": "not an event"}, status=400)
    # 200 whatever the outcome: the event is stored, so the processor must
    # not send it again; a failed one is re-applied by `webhooks retry`.
    event = receipt.event
    return JsonResponse(
        {"id": event.event_id, "status": event.status, "replay": receipt.replay}
    )
