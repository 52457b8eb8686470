"""The financial report as an XLSX workbook: the summary by method, where the money is, the
payment offers and the e-računi documents, one sheet each."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from reports.services.financial import AMOUNTS, FinancialReport

BOLD = Font(bold=True)


def _sheet(book, title: str, header: list[str], rows: list[list]):
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    return sheet


def financial_xlsx(report: FinancialReport) -> bytes:
    book = Workbook()
    book.remove(book.active)
    summary = _sheet(book, "By method", ["method", "orders", "tickets", *AMOUNTS],
                     [[row.method, row.orders, row.tickets,
                       *(getattr(row, name) for name in AMOUNTS)]
                      for row in [*report.methods, report.total]])
    for cell in summary[summary.max_row]:
        cell.font = BOLD
    _sheet(book, "Where it is", ["account", "amount"],
           [*([name, amount] for name, amount in report.kept.items()),
            ["total", report.kept_total], ["sales - refunds", report.total.net],
            ["difference", report.difference]])
    _sheet(book, "Payment offers", ["status", "offers", "amount"],
           [[status, row["count"], row["amount"]] for status, row in report.offers.items()])
    _sheet(book, "e-računi", ["document", "status", "count"],
           [[kind, status, count] for kind, by_status in report.documents.items()
            for status, count in by_status.items()])
    _sheet(book, "Period", ["from", "to", "match"],
           [[report.date_from, report.date_to, report.match_id or "all"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
