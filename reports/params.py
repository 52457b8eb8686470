"""What each report type takes, who may run it, and how it is built: the one registry the
preview endpoints, the export jobs and Django Admin share."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from rest_framework import serializers

from core.errors import Forbidden, NotFound, ValidationFailed
from core.roles import Role, user_has_role
from reports.models import ReportType
from reports.services.tables import (
    CHANNELS,
    Table,
    attendance_table,
    financial_table,
    quota_usage_table,
    sales_table,
)
from seating.models import Match

MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)


def _match_exists(match_id: int | None) -> None:
    if match_id and not Match.objects.filter(pk=match_id).exists():
        raise NotFound(f"No match {match_id}.", code="match_not_found")


class SalesIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    ticket_type = serializers.CharField(max_length=60, required=False,
                                        help_text="A price category's name")
    sector = serializers.CharField(max_length=20, required=False,
                                   help_text="A match sector's code")
    channel = serializers.ChoiceField(choices=CHANNELS, required=False)

    def validate(self, data):
        if "date_from" in data or "date_to" in data:
            data.setdefault("date_from", EARLIEST)
            data.setdefault("date_to", timezone.localdate())
            if data["date_to"] < data["date_from"]:
                raise ValidationFailed("date_to is before date_from.", field="date_to")
        return data


class PeriodIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    match_id = serializers.IntegerField(min_value=1, required=False)

    def validate(self, data):
        today = timezone.localdate()
        data.setdefault("date_from", today.replace(day=1))
        data.setdefault("date_to", today)
        if data["date_to"] < data["date_from"]:
            raise ValidationFailed("date_to is before date_from.", field="date_to")
        if (data["date_to"] - data["date_from"]).days > MAX_DAYS:
            raise ValidationFailed(f"At most {MAX_DAYS} days at once.", field="date_to")
        return data


class MatchIn(serializers.Serializer):
    match_id = serializers.IntegerField(min_value=1)


@dataclass(frozen=True)
class ReportSpec:
    params: type[serializers.Serializer]
    build: Callable[..., Table]
    roles: tuple[str, ...]


REPORTS: dict[str, ReportSpec] = {
    ReportType.SALES: ReportSpec(SalesIn, sales_table, (Role.FINANCE, Role.MATCH_MANAGER)),
    ReportType.FINANCIAL: ReportSpec(PeriodIn, financial_table, (Role.FINANCE,)),
    ReportType.ATTENDANCE: ReportSpec(MatchIn, attendance_table,
                                      (Role.MATCH_MANAGER, Role.FINANCE)),
    ReportType.QUOTA_USAGE: ReportSpec(MatchIn, quota_usage_table,
                                       (Role.QUOTA_MANAGER, Role.FINANCE)),
}


def report_role_check(user, report_type: str) -> None:
    """403 unless `user` holds one of the report's roles."""
    roles = REPORTS[report_type].roles
    if not user_has_role(user, *roles):
        raise Forbidden(f"This report needs the role {' or '.join(roles)}.")


def report_params(report_type: str, data) -> dict:
    """The validated parameters of a report (400/422 naming the field), its match checked."""
    serializer = REPORTS[report_type].params(data=data)
    serializer.is_valid(raise_exception=True)
    params = {key: value for key, value in serializer.validated_data.items()
              if value not in ("", None)}
    _match_exists(params.get("match_id"))
    return params


def report_table(report_type: str, params: dict) -> Table:
    return REPORTS[report_type].build(**params)


def stored_params(params: dict) -> dict:
    """Parameters as the job keeps them (JSON: dates as ISO strings)."""
    return {key: value.isoformat() if isinstance(value, date) else value
            for key, value in params.items()}
