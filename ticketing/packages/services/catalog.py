"""What fans see of packages: a match's active ones in display order, with availability, image
URLs and the options a holder answers; and the package a cart add asks for."""

from django.db.models import Prefetch

from core.errors import Conflict, NotFound
from seating.models import Match, MatchStatus
from ticketing.packages.models import Package, PackageOption

FAN_MATCH_STATUSES = (MatchStatus.PUBLISHED, MatchStatus.ACTIVE)


def _active_options() -> Prefetch:
    return Prefetch("options", queryset=PackageOption.objects.filter(is_active=True),
                    to_attr="active_options")


def packages_for_fans(*, match_id: int) -> list[Package]:
    """The match's active packages, ordered (404 unless the match is published or active)."""
    packages = list(Package.objects.filter(match_id=match_id, is_active=True,
                                           match__status__in=FAN_MATCH_STATUSES)
                    .prefetch_related("zones", _active_options()))
    if not packages and not Match.objects.filter(pk=match_id,
                                                 status__in=FAN_MATCH_STATUSES).exists():
        raise NotFound("No such match.", code="match_not_found")
    return packages


def package_for_sale(*, match_id: int, package_id: int) -> Package:
    """The active package of this match, with `zone_ids` (its zones in id order); 404 when
    there is none, 409 when its stock is gone (the take under lock decides in the end)."""
    package = (Package.objects.filter(pk=package_id, match_id=match_id, is_active=True)
               .first())
    if package is None:
        raise NotFound("This match has no such package on sale.", code="package_not_found",
                       field="package_id")
    if package.sold_out:
        raise Conflict("This package is sold out.", code="package_sold_out", field="package_id")
    package.zone_ids = sorted(package.zones.values_list("id", flat=True))
    return package
