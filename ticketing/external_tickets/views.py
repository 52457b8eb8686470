from django.http import Http404

from core.errors import NotFound
from ticketing.external_tickets.api import pdf_response
from ticketing.external_tickets.services import pdf_for_link


def holder_pdf(request, token: str):
    """The PDF a holder's emailed link names: the signed token is the authorization."""
    try:
        return pdf_response(pdf_for_link(token))
    except NotFound as exc:
        raise Http404(exc.detail) from exc
