from ticketing.invoicing.models import DocumentType, EracuniDocument


def order_invoice(order_id: int) -> dict | None:
    """The order's invoice as the fan sees it (E9-F7): its number, status and PDF link, once
    e-računi has issued it (the link is empty until then); None when it has none."""
    row = (EracuniDocument.objects.filter(order_id=order_id, document_type=DocumentType.INVOICE)
           .values("e_racuni_number", "status", "public_url").first())
    if row is None:
        return None
    return {"number": row["e_racuni_number"], "status": row["status"],
            "pdf_url": row["public_url"]}
