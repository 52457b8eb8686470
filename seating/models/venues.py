"""Stadium templates: stadiums, their sectors, each sector's seat map (a 2-D JSON grid drawn in
the admin editor), the seats generated from it, and the sector's snake (best-available)
configuration. Matches copy these into their own configuration (seating.models.matches)."""

from django.db import models


class StadiumType(models.TextChoices):
    HOME = "HOME"
    AWAY = "AWAY"


class Stadium(models.Model):
    name = models.CharField(max_length=120)
    city = models.CharField(max_length=80)
    country = models.CharField(max_length=2, default="HR")
    address = models.CharField(max_length=200, blank=True)
    stadium_type = models.CharField(max_length=4, choices=StadiumType.choices,
                                    default=StadiumType.HOME, db_index=True)
    base_capacity = models.PositiveIntegerField(default=0)
    is_numbered = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.city})"


class SectorType(models.TextChoices):
    STANDARD = "STANDARD"
    VIP = "VIP"
    ACCESSIBILITY = "ACCESSIBILITY"
    STANDING = "STANDING"


class Sector(models.Model):
    stadium = models.ForeignKey(Stadium, on_delete=models.CASCADE, related_name="sectors")
    name = models.CharField(max_length=80)
    code = models.CharField(max_length=20)
    capacity = models.PositiveIntegerField()
    sector_type = models.CharField(max_length=13, choices=SectorType.choices,
                                   default=SectorType.STANDARD)
    seat_count = models.PositiveIntegerField(default=0, help_text="Seats generated from the map.")
    display_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stadium_id", "display_order", "code"]
        constraints = [models.UniqueConstraint(fields=["stadium", "code"],
                                               name="sector_code_unique_per_stadium")]

    def __str__(self):
        return f"{self.stadium.name} / {self.code}"


class SectorSeatMap(models.Model):
    """seat_map_json: {"dimensions": {"rows", "cols"}, "seats": [{"row", "col", "type"}],
    "row_labels": [...], "numbering_direction": "LTR"|"RTL"}; gaps are missing seats."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        GENERATED = "GENERATED"

    sector = models.OneToOneField(Sector, on_delete=models.CASCADE, related_name="seat_map")
    seat_map_json = models.JSONField()
    total_seats = models.PositiveIntegerField(default=0)
    configuration_status = models.CharField(max_length=10, choices=Status.choices,
                                            default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Seat map of {self.sector}"


class SeatType(models.TextChoices):
    STANDARD = "STANDARD"
    TECHNICAL = "TECHNICAL"
    ACCESSIBILITY = "ACCESSIBILITY"
    COMPANION = "COMPANION"


class Seat(models.Model):
    """A physical seat of a template sector; grid_row/grid_col are its seat-map coordinates."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="seats")
    row_identifier = models.CharField(max_length=10)
    seat_number = models.PositiveIntegerField()
    seat_type = models.CharField(max_length=13, choices=SeatType.choices,
                                 default=SeatType.STANDARD)
    grid_row = models.PositiveIntegerField()
    grid_col = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sector_id", "grid_row", "grid_col"]
        constraints = [
            models.UniqueConstraint(fields=["sector", "row_identifier", "seat_number"],
                                    name="seat_unique_number_per_row"),
            models.UniqueConstraint(fields=["sector", "grid_row", "grid_col"],
                                    name="seat_unique_grid_position"),
        ]

    def __str__(self):
        return f"{self.sector.code} row {self.row_identifier} seat {self.seat_number}"


class Traversal(models.TextChoices):
    TOP_TO_BOTTOM = "TOP_TO_BOTTOM"
    BOTTOM_TO_TOP = "BOTTOM_TO_TOP"


class RowStrategy(models.TextChoices):
    CENTER_OUTWARD = "CENTER_OUTWARD"
    LEFT_TO_RIGHT = "LEFT_TO_RIGHT"
    RIGHT_TO_LEFT = "RIGHT_TO_LEFT"


class SnakeConfig(models.Model):
    """How best-available fills a sector: rows nearest `best_row_index` first (ties broken by
    the traversal direction), within a row by `within_row_strategy`. `subsector_grouping_json`
    splits an irregular sector into column ranges that never share a block of adjacent seats:
    [{"name": "left", "col_from": 0, "col_to": 11}, ...] (inclusive, in traversal order)."""

    sector = models.OneToOneField(Sector, on_delete=models.CASCADE, related_name="snake_config")
    best_row_index = models.PositiveIntegerField(default=0)
    traversal_direction = models.CharField(max_length=13, choices=Traversal.choices,
                                           default=Traversal.TOP_TO_BOTTOM)
    within_row_strategy = models.CharField(max_length=14, choices=RowStrategy.choices,
                                           default=RowStrategy.CENTER_OUTWARD)
    subsector_grouping_json = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Snake config of {self.sector}"
