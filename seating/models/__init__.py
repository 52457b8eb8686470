from seating.models.inventory import (
    ADMIN_STATUSES,
    STATUS_COLORS,
    TRANSITIONS,
    BulkStatusJob,
    GeneralAdmissionHold,
    HoldStatus,
    SeatAuditLog,
    SeatInventory,
    SeatStatus,
)
from seating.models.matches import (
    ConfigStatus,
    Match,
    MatchAuditLog,
    MatchChangeType,
    MatchSector,
    MatchSectorStatus,
    MatchStatus,
    MatchType,
    NotificationPreference,
    PhaseType,
    PriceCategory,
    SalesPhase,
    SectorPurpose,
)
from seating.models.venues import (
    RowStrategy,
    Seat,
    SeatType,
    Sector,
    SectorSeatMap,
    SectorType,
    SnakeConfig,
    Stadium,
    StadiumType,
    Traversal,
)

__all__ = [
    "ADMIN_STATUSES", "STATUS_COLORS", "TRANSITIONS", "BulkStatusJob", "ConfigStatus",
    "GeneralAdmissionHold", "HoldStatus", "Match", "MatchAuditLog", "MatchChangeType",
    "MatchSector", "MatchSectorStatus", "MatchStatus", "MatchType", "NotificationPreference",
    "PhaseType", "PriceCategory", "RowStrategy", "SalesPhase", "Seat", "SeatAuditLog",
    "SeatInventory", "SeatStatus", "SeatType", "Sector", "SectorPurpose", "SectorSeatMap",
    "SectorType", "SnakeConfig", "Stadium", "StadiumType", "Traversal",
]
