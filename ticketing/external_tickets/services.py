"""Away-match PDF tickets (E9-F6). The host federation sends one PDF per ticket; the admin
uploads them (several PDFs, or one zip) and each is matched to one of our valid tickets of the
match by the holder's name in its text, or else by its sector, row and seat. Matched files are
stored privately and their tickets are marked `external_ticket_required` (the app hides our
QR: the host's gates scan theirs). What did not match is listed for the
admin. `pdf_tickets_email` then sends each holder a signed link to their PDF, once per ticket.

Uploads are bounded: PDFs and zips are recognised by content, not by name, each PDF at most
PDF_TICKET_MAX_BYTES, a zip at most PDF_TICKET_MAX_FILES entries and PDF_TICKET_MAX_UNZIPPED
bytes unpacked (a zip bomb is refused before it is read), and the PDFs of one upload at most
PDF_TICKET_MAX_UNZIPPED bytes in all. A damaged zip entry is listed, never a server error."""

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from core.audit import audit_record
from core.errors import NotFound, ValidationFailed
from core.locks import lock_rows
from core.notifications import TemplateKey, email_send
from seating.models import Match, MatchType
from ticketing.aftersale.models import TransferLog
from ticketing.external_tickets.models import ExternalTicketPdf, PdfUpload
from ticketing.models import Ticket, TicketStatus

LINK_SALT = "external-ticket-pdf"
SEAT_WORDS = {
    "sector": r"(?:sektor|sector|settore|tribina|block|blok)",
    "row": r"(?:red|row|fila|reihe)",
    "seat": r"(?:sjedalo|seat|posto|platz|mjesto|sitz)",
}
# What zipfile raises for a damaged, encrypted or oddly compressed archive or entry.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, RuntimeError,
              NotImplementedError)


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    name: str
    sector: str
    row: str
    seat: str


def _plain(text: str) -> str:
    """Lower case without accents or punctuation, spaces collapsed: 'Ivić-Babić' ~ 'ivic babic'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _pdfs(files) -> tuple[list[tuple[str, bytes]], list[dict]]:
    """The PDFs in the uploaded files (zips unpacked) and the files that are not PDFs."""
    if len(files) > settings.PDF_TICKET_MAX_FILES:
        raise ValidationFailed(f"At most {settings.PDF_TICKET_MAX_FILES} files at once.",
                               field="files")
    pdfs, refused, kept = [], [], 0
    for upload in files:
        head = upload.read(4)
        is_zip = head == b"PK\x03\x04"
        if is_zip and upload.size > settings.PDF_TICKET_MAX_ZIP_BYTES:
            raise ValidationFailed(f"{upload.name} is larger than "
                                   f"{settings.PDF_TICKET_MAX_ZIP_BYTES // 1_000_000} MB.",
                                   field="files")
        limit = settings.PDF_TICKET_MAX_ZIP_BYTES if is_zip else settings.PDF_TICKET_MAX_BYTES
        data = head + upload.read(limit)  # at most one byte over: too large is refused below
        if is_zip:
            found, bad = _unzip(upload.name, data,
                                room=settings.PDF_TICKET_MAX_UNZIPPED - kept)
            pdfs += found
            refused += bad
        elif data.startswith(b"%PDF-") and len(data) <= settings.PDF_TICKET_MAX_BYTES:
            pdfs.append((upload.name, data))
        else:
            refused.append({"file": upload.name, "reason": "not a PDF, or larger than "
                            f"{settings.PDF_TICKET_MAX_BYTES // 1_000_000} MB"})
        kept = sum(len(pdf) for _, pdf in pdfs)
        if kept > settings.PDF_TICKET_MAX_UNZIPPED:
            raise ValidationFailed("The PDFs of one upload are at most "
                                   f"{settings.PDF_TICKET_MAX_UNZIPPED // 1_000_000} MB in all.",
                                   field="files")
    if len(pdfs) > settings.PDF_TICKET_MAX_FILES:
        raise ValidationFailed(f"At most {settings.PDF_TICKET_MAX_FILES} PDFs at once.",
                               field="files")
    return pdfs, refused


def _unzip(name: str, data: bytes, *, room: int) -> tuple[list[tuple[str, bytes]], list[dict]]:
    """The zip's PDFs, unpacking at most `room` bytes (zipfile never inflates an entry past
    the size its directory declares)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ValidationFailed(f"{name} is not a readable zip file.", field="files") from exc
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > settings.PDF_TICKET_MAX_FILES or sum(
            e.file_size for e in entries) > room:
        raise ValidationFailed(f"{name} holds too much: at most {settings.PDF_TICKET_MAX_FILES}"
                               f" files and {settings.PDF_TICKET_MAX_UNZIPPED // 1_000_000} MB"
                               " unpacked in one upload.", field="files")
    pdfs, refused = [], []
    for entry in entries:
        try:
            content = (archive.read(entry) if entry.file_size <= settings.PDF_TICKET_MAX_BYTES
                       else b"")
        except ZIP_ERRORS:
            content = b""  # damaged, encrypted or oddly compressed: listed as refused
        label = f"{name}/{entry.filename}"
        if content.startswith(b"%PDF-"):
            pdfs.append((label, content))
        else:
            refused.append({"file": label, "reason": "not a PDF, or too large"})
    return pdfs, refused


def _text(data: bytes) -> str | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        return _plain(" ".join(page.extract_text() or "" for page in reader.pages[:3]))
    except Exception:
        return None


def _seat_in(text: str) -> dict[str, str]:
    found = {}
    for part, word in SEAT_WORDS.items():
        hit = re.search(rf"\b{word}\s+([a-z0-9]+)\b", text)
        if hit:
            found[part] = hit.group(1)
    return found


def _match_one(text: str, candidates: list[Candidate]) -> tuple[Candidate | None, str, str]:
    """(the ticket, NAME or SEAT, why not)."""
    named = [c for c in candidates if c.name and re.search(rf"\b{re.escape(c.name)}\b", text)]
    if len(named) == 1:
        return named[0], "NAME", ""
    seat = _seat_in(text)
    pool = named or candidates
    if {"row", "seat"} <= seat.keys():
        placed = [c for c in pool if c.row == seat["row"] and c.seat == seat["seat"]
                  and ("sector" not in seat or seat["sector"] == c.sector)]
        if len(placed) == 1:
            return placed[0], "SEAT", ""
    if len(named) > 1:
        return None, "", f"the name fits {len(named)} tickets and no seat tells them apart"
    return None, "", "no holder's name or seat of this match found in it"


def _candidates(match: Match) -> list[Candidate]:
    rows = (Ticket.objects.filter(match=match, status=TicketStatus.VALID)
            .values_list("pk", "holder_name", "order_item__match_sector__code",
                         "inventory__row_label", "inventory__seat_number"))
    return [Candidate(ticket_id=pk, name=_plain(name), sector=_plain(sector or ""),
                      row=_plain(row or ""), seat=str(seat or "")) for pk, name, sector, row, seat
            in rows]


def pdf_tickets_upload(*, match_id: int, files, actor) -> PdfUpload:
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise NotFound("No such match.")
    if match.match_type != MatchType.AWAY:
        raise ValidationFailed("PDF tickets are for away matches; this is a home match.",
                               field="match_id")
    if not files:
        raise ValidationFailed("Attach the PDFs, or one zip of them.", field="files")
    pdfs, unmatched = _pdfs(files)
    files = len(pdfs) + len(unmatched)  # every file looked at, PDF or not
    candidates = _candidates(match)
    placed: dict[int, tuple[str, bytes, str]] = {}
    for name, data in pdfs:
        text = _text(data)
        ticket, how, why = _match_one(text, candidates) if text else (None, "", "unreadable")
        if ticket and ticket.ticket_id in placed:
            ticket, why = None, f"another file ({placed[ticket.ticket_id][0]}) fits its ticket"
        if ticket is None:
            unmatched.append({"file": name, "reason": why})
        else:
            placed[ticket.ticket_id] = (name, data, how)
    with transaction.atomic():
        for ticket_id, (name, data, how) in placed.items():
            _store(ticket_id, name, data, how, actor)
        # only tickets with their host PDF lose our QR; the others keep it until placed
        Ticket.objects.filter(pk__in=list(placed)).update(external_ticket_required=True)
        upload = PdfUpload.objects.create(match=match, uploaded_by=actor, files=files,
                                          matched=len(placed), unmatched=unmatched)
        audit_record(actor=actor, action="external_tickets.uploaded", obj=upload,
                     after={"match": match.pk, "matched": len(placed),
                            "unmatched": len(unmatched)})
    return upload


def _store(ticket_id: int, name: str, data: bytes, how: str, actor) -> None:
    """Keep the PDF for the ticket; a new upload replaces an earlier one and is sent again."""
    pdf, _ = ExternalTicketPdf.objects.get_or_create(
        ticket_id=ticket_id, defaults={"uploaded_by": actor, "matched_by": how,
                                       "original_name": name[:255], "sha256": ""})
    pdf.file.save(f"{ticket_id}.pdf", ContentFile(data), save=False)
    pdf.original_name, pdf.matched_by, pdf.uploaded_by = name[:255], how, actor
    pdf.sha256, pdf.emailed_at, pdf.emailed_to = hashlib.sha256(data).hexdigest(), None, ""
    pdf.save()


def pdf_for_buyer(*, user, ticket_id: int) -> ExternalTicketPdf:
    pdf = (ExternalTicketPdf.objects.select_related("ticket")
           .filter(ticket_id=ticket_id, ticket__order__buyer=user).first())
    if pdf is None or pdf.ticket.status != TicketStatus.VALID:
        raise NotFound("No PDF ticket here.", code="pdf_not_found")
    return pdf


def holder_link(ticket: Ticket) -> str:
    """A link for the holder alone: signed, naming the ticket's current barcode (a transfer
    ends it), valid until a day after kick-off."""
    token = signing.dumps({"t": ticket.pk, "b": ticket.barcode}, salt=LINK_SALT, compress=True)
    return f"{settings.SITE_URL}/tickets/pdf/{token}"


def pdf_for_link(token: str) -> ExternalTicketPdf:
    try:
        data = signing.loads(token, salt=LINK_SALT,
                             max_age=settings.PDF_TICKET_LINK_DAYS * 86400)
    except signing.BadSignature as exc:
        raise NotFound("This link is not valid (or no longer).", code="pdf_not_found") from exc
    pdf = (ExternalTicketPdf.objects.select_related("ticket")
           .filter(ticket_id=data.get("t"), ticket__barcode=data.get("b"),
                   ticket__status=TicketStatus.VALID).first())
    if pdf is None:
        raise NotFound("This link is not valid (or no longer).", code="pdf_not_found")
    return pdf


def _transferred_to(ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's latest new holder's email, for those transferred (one query)."""
    return dict(TransferLog.objects.filter(ticket_id__in=ticket_ids).exclude(to_holder_email="")
                .order_by("ticket_id", "pk").values_list("ticket_id", "to_holder_email"))


def pdf_tickets_email(*, match_id: int, batch: int = 200) -> int:
    """Email a batch of the match's unsent PDFs to their holders, each once (rows locked,
    SKIP LOCKED, so two workers share the work); returns how many were sent."""
    with transaction.atomic():
        pdfs = lock_rows(ExternalTicketPdf.objects.filter(
            ticket__match_id=match_id, ticket__status=TicketStatus.VALID,
            emailed_at__isnull=True), skip_locked=True, limit=batch)
        tickets = Ticket.objects.select_related("match", "order_item", "order__buyer").in_bulk(
            [pdf.ticket_id for pdf in pdfs])
        moved, now = _transferred_to(list(tickets)), timezone.now()
        for pdf in pdfs:
            ticket = tickets[pdf.ticket_id]
            to = moved.get(ticket.pk) or ticket.order_item.email or ticket.order.buyer.email
            match = ticket.match
            email_send(template_key=TemplateKey.EXTERNAL_TICKET, to=to, private=("link",),
                       variables={"name": ticket.holder_name,
                                  "match": f"{match.home_team} v {match.away_team}",
                                  "kickoff": timezone.localtime(match.kick_off_time)
                                  .strftime("%Y-%m-%d %H:%M"),
                                  "link": holder_link(ticket)})
            pdf.emailed_at, pdf.emailed_to = now, to
            pdf.save(update_fields=["emailed_at", "emailed_to"])
    return len(pdfs)
