"""Error answers: a styled, bilingual page for people, the API's JSON shape under ``/api/``.

Every handler renders without the database, the session or the signed-in user, because it may
be answering precisely because one of them failed. A database outage (``OperationalError``,
``InterfaceError``) anywhere — a view, a middleware, the session — is a 503 with
``Retry-After`` that says the last action was not saved, never a bare 500. Messages never
carry what the user typed, so no identifying information can come back in an error.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)

PAGES = {
    400: {
        "code": "bad_request",
        "title_en": "This request could not be understood",
        "title_fr": "Cette demande n'a pas pu être comprise",
        "message_en": "Something in the address or the form was not valid. Nothing was saved.",
        "message_fr": "Un élément de l'adresse ou du formulaire n'était pas valide. "
        "Rien n'a été enregistré.",
    },
    403: {
        "code": "permission_denied",
        "title_en": "You do not have access to this page",
        "title_fr": "Vous n'avez pas accès à cette page",
        "message_en": "Your role on this table does not allow this action. Ask your table's "
        "coordinator if you think you should have access.",
        "message_fr": "Votre rôle à cette table ne permet pas cette action. Adressez-vous à la "
        "coordination de votre table si vous pensez devoir y avoir accès.",
    },
    "csrf": {
        "code": "csrf_failed",
        "title_en": "This form has expired",
        "title_fr": "Ce formulaire a expiré",
        "message_en": "For your security the form could not be accepted (it may have been open "
        "too long, or cookies are blocked). Nothing was saved: go back, reload the page and "
        "try again.",
        "message_fr": "Pour votre sécurité, le formulaire n'a pas pu être accepté (il est peut-"
        "être resté ouvert trop longtemps, ou les témoins sont bloqués). Rien n'a été "
        "enregistré : revenez en arrière, rechargez la page et réessayez.",
    },
    404: {
        "code": "not_found",
        "title_en": "Page not found",
        "title_fr": "Page introuvable",
        "message_en": "This page does not exist, or you do not have access to it.",
        "message_fr": "Cette page n'existe pas, ou vous n'y avez pas accès.",
    },
    429: {
        "code": "throttled",
        "title_en": "Too many requests",
        "title_fr": "Trop de demandes",
        "message_en": "Please wait a moment before trying again.",
        "message_fr": "Veuillez patienter un moment avant de réessayer.",
    },
    500: {
        "code": "server_error",
        "title_en": "Something went wrong on our side",
        "title_fr": "Une erreur s'est produite de notre côté",
        "message_en": "The error has been logged. Your last action may not have been saved: "
        "check, then try again.",
        "message_fr": "L'erreur a été consignée. Votre dernière action n'a peut-être pas été "
        "enregistrée : vérifiez, puis réessayez.",
    },
    503: {
        "code": "service_unavailable",
        "title_en": "Situation Table is briefly unavailable",
        "title_fr": "La Table de concertation est momentanément indisponible",
        "message_en": "We cannot reach our database. Your last action was not saved. Please try "
        "again in a minute.",
        "message_fr": "Nous ne pouvons pas joindre notre base de données. Votre dernière action "
        "n'a pas été enregistrée. Veuillez réessayer dans une minute.",
    },
}


def wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _back_url(request) -> str:
    """Where "Go back" leads: the page the visitor came from on this site, else the start."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def error_response(request, kind, *, status: int | None = None, detail: str | None = None):
    page = PAGES[kind]
    status = status or int(kind)
    if wants_json(request):
        body = {"detail": detail or page["message_en"], "code": page["code"]}
        if status == 400:
            body["errors"] = {}  # the API's 400 shape: nothing to say per field here
        response = JsonResponse(body, status=status)
    else:
        try:
            back_url = _back_url(request)
        except Exception:  # noqa: BLE001 - e.g. a disallowed Host header: the page still renders
            back_url = "/"
        html = loader.get_template("errors/page.html").render(
            {
                **page,
                "status": status,
                "back_url": back_url,
                "back_en": "Go back",
                "back_fr": "Revenir en arrière",
            }
        )
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return error_response(request, 400)


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404, detail="Not found.")


def server_error(request):
    """Django calls this inside its ``except`` block, so the exception is still at hand."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_OUTAGE_ERRORS):
        logger.error("Database unavailable: answered 503 (%s)", type(exc).__name__)
        return error_response(request, 503)
    return error_response(request, 500)


def csrf_failure(request, reason=""):
    return error_response(request, "csrf", status=403)


def too_many_requests(request, exception=None):
    return error_response(request, 429)
