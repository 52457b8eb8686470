"""The five Croatian home stadium templates (E2-F3 data seeding), drawn by a small parametric
generator rather than literal JSON, and built through the same services as the admin API:
sector -> seat map -> generated seats -> snake config.

Every sector's map has stairway columns (gaps), corner sectors lose seats at the corner end of
their front rows (irregular row lengths), some sectors have a wheelchair row (accessibility
places with a companion seat each) on the front row and camera positions (technical seats) on
the back row. Grid row 0 is the front row, nearest the pitch; rows are labelled "1", "2", ...

`seed_stadium_templates()` is idempotent: stadiums are found by name, sectors by code, and only
what is missing (sector, map, seats, snake config) is created; nothing existing is touched."""

from dataclasses import dataclass
from itertools import pairwise

from django.db import transaction

from seating.models import RowStrategy, SectorType, Stadium, StadiumType, Traversal
from seating.services import venues


@dataclass(frozen=True)
class SectorPlan:
    code: str
    name: str
    rows: int
    cols: int
    aisles: tuple[int, ...] = ()  # stairway columns, empty in every row
    corner: str = ""  # "left" or "right": the end where the front rows are shorter
    corner_cut: int = 0  # seats the front row loses at that end (fewer each row further back)
    wheelchair_places: int = 0  # accessibility places on the front row, each with a companion
    cameras: int = 0  # technical seats mid back row (camera platform)
    direction: str = "LTR"
    subsectors: bool = False  # split at the stairways into snake subsectors
    sector_type: str = SectorType.STANDARD


@dataclass(frozen=True)
class StadiumPlan:
    name: str
    city: str
    address: str
    sectors: tuple[SectorPlan, ...]


def seat_map_of(plan: SectorPlan) -> dict:
    seats = []
    for row in range(plan.rows):
        cut = -(-plan.corner_cut * (plan.rows - row) // plan.rows) if plan.corner else 0
        lo, hi = (cut, plan.cols) if plan.corner == "left" else (0, plan.cols - cut)
        seats += [{"row": row, "col": col, "type": "standard"}
                  for col in range(lo, hi) if col not in plan.aisles]
    front = [s for s in seats if s["row"] == 0]
    for index, seat in enumerate(front[:2 * plan.wheelchair_places]):
        seat["type"] = "accessibility" if index % 2 == 0 else "companion"
    if plan.cameras:
        back = [s for s in seats if s["row"] == plan.rows - 1]
        start = max(0, len(back) // 2 - plan.cameras // 2)
        for seat in back[start:start + plan.cameras]:
            seat["type"] = "technical"
    return {"dimensions": {"rows": plan.rows, "cols": plan.cols}, "seats": seats,
            "row_labels": [str(n) for n in range(1, plan.rows + 1)],
            "numbering_direction": plan.direction}


BLOCK_NAMES = {2: ["lijevo", "desno"], 3: ["lijevo", "sredina", "desno"]}


def subsectors_of(plan: SectorPlan) -> list[dict]:
    """Column ranges between the stairways, left to right."""
    if not plan.subsectors:
        return []
    bounds = [-1, *sorted(plan.aisles), plan.cols]
    blocks = [(a + 1, b - 1) for a, b in pairwise(bounds) if b - a > 1]
    names = BLOCK_NAMES.get(len(blocks)) or [f"blok {i}" for i in range(1, len(blocks) + 1)]
    return [{"name": name, "col_from": lo, "col_to": hi} for name, (lo, hi) in zip(
        names, blocks, strict=True)]


def stand(prefix: str, name: str, count: int, rows: int, cols: int, *, direction: str = "LTR",
          corner_cut: int = 8, wheelchair: tuple[int, ...] = (), cameras: tuple[int, ...] = (),
          subsectors: tuple[int, ...] = ()) -> tuple[SectorPlan, ...]:
    """A stand of `count` equal sectors {prefix}1..{prefix}{count}; the two end sectors meet
    the corners. Wide sectors get two stairways, narrower ones one. Sectors listed in
    `wheelchair`, `cameras` and `subsectors` (by number) get those features."""
    aisles = (cols // 3, 2 * cols // 3) if cols >= 36 else (cols // 2,)
    plans = []
    for n in range(1, count + 1):
        corner = "left" if n == 1 else "right" if n == count else ""
        plans.append(SectorPlan(
            code=f"{prefix}{n}", name=f"{name} {prefix}{n}", rows=rows, cols=cols,
            aisles=aisles, corner=corner, corner_cut=corner_cut if corner else 0,
            wheelchair_places=6 if n in wheelchair else 0, cameras=4 if n in cameras else 0,
            direction=direction, subsectors=n in subsectors))
    return tuple(plans)


def vip(rows: int, cols: int) -> SectorPlan:
    return SectorPlan(code="VIP", name="Zapad VIP", rows=rows, cols=cols, aisles=(cols // 2,),
                      wheelchair_places=2, sector_type=SectorType.VIP)


def away_fans(rows: int, cols: int, corner: str = "right") -> SectorPlan:
    """The away end sits in a corner of the south stand, behind its own stairway."""
    return SectorPlan(code="GOST", name="Gostujući navijači", rows=rows, cols=cols,
                      aisles=(cols // 2,), corner=corner, corner_cut=6, direction="RTL",
                      subsectors=True)


TEMPLATES: tuple[StadiumPlan, ...] = (
    StadiumPlan("Stadion Maksimir", "Zagreb", "Maksimirska cesta 128, 10000 Zagreb", (
        vip(12, 42),
        *stand("Z", "Zapad", 8, 30, 42, wheelchair=(4, 5), cameras=(4,), subsectors=(1,)),
        *stand("I", "Istok", 8, 32, 42, direction="RTL", wheelchair=(4,), cameras=(5,)),
        *stand("S", "Sjever", 6, 32, 42, wheelchair=(3,), subsectors=(6,)),
        *stand("J", "Jug", 6, 32, 40, direction="RTL", wheelchair=(3,)),
        away_fans(22, 40),
    )),
    StadiumPlan("Stadion Poljud", "Split", "8. Mediteranskih igara 2, 21000 Split", (
        vip(12, 40),
        *stand("Z", "Zapad", 8, 31, 40, wheelchair=(4, 5), cameras=(4,), subsectors=(8,)),
        *stand("I", "Istok", 8, 32, 40, direction="RTL", wheelchair=(5,), cameras=(4,)),
        *stand("S", "Sjever", 6, 31, 40, corner_cut=10, wheelchair=(3,)),
        *stand("J", "Jug", 6, 30, 40, direction="RTL", corner_cut=10, wheelchair=(4,),
               subsectors=(1,)),
        away_fans(20, 36),
    )),
    StadiumPlan("Opus Arena", "Osijek", "Pampas, 31000 Osijek", (
        vip(8, 36),
        *stand("Z", "Zapad", 4, 30, 38, wheelchair=(2,), cameras=(2,), subsectors=(4,)),
        *stand("I", "Istok", 4, 30, 38, direction="RTL", wheelchair=(3,), cameras=(3,)),
        *stand("S", "Sjever", 3, 23, 34, corner_cut=6, wheelchair=(2,)),
        *stand("J", "Jug", 3, 23, 34, direction="RTL", corner_cut=6, wheelchair=(2,)),
        away_fans(14, 30),
    )),
    StadiumPlan("Stadion Rujevica", "Rijeka", "Rujevica, 51000 Rijeka", (
        vip(6, 34),
        *stand("Z", "Zapad", 4, 22, 38, wheelchair=(2,), cameras=(2,)),
        *stand("I", "Istok", 4, 20, 38, direction="RTL", wheelchair=(3,), cameras=(3,),
               subsectors=(4,)),
        *stand("S", "Sjever", 2, 20, 34, corner_cut=6, wheelchair=(1,)),
        *stand("J", "Jug", 2, 16, 34, direction="RTL", corner_cut=6, wheelchair=(1,)),
        away_fans(12, 26),
    )),
    StadiumPlan("Stadion Varteks", "Varaždin", "Zagrebačka ulica 94, 42000 Varaždin", (
        vip(8, 34),
        *stand("Z", "Zapad", 4, 27, 34, wheelchair=(2,), cameras=(2,)),
        *stand("I", "Istok", 4, 22, 34, direction="RTL", wheelchair=(3,), cameras=(3,),
               subsectors=(1,)),
        *stand("S", "Sjever", 2, 20, 34, corner_cut=6, wheelchair=(1,)),
        *stand("J", "Jug", 2, 19, 34, direction="RTL", corner_cut=6, wheelchair=(2,)),
        away_fans(12, 26),
    )),
)


def _snake(plan: SectorPlan) -> dict:
    # Best seats a third of the way up the stand: above the advertising boards, below the roof.
    return {"best_row_index": plan.rows // 3, "traversal_direction": Traversal.TOP_TO_BOTTOM,
            "within_row_strategy": RowStrategy.CENTER_OUTWARD,
            "subsector_grouping_json": subsectors_of(plan)}


def _seed_stadium(plan: StadiumPlan) -> Stadium:
    maps = {s.code: seat_map_of(s) for s in plan.sectors}
    stadium = Stadium.objects.filter(name=plan.name).first()
    if stadium is None:
        stadium = venues.stadium_create(data={
            "name": plan.name, "city": plan.city, "country": "HR", "address": plan.address,
            "stadium_type": StadiumType.HOME, "is_numbered": True,
            "base_capacity": sum(len(m["seats"]) for m in maps.values())})
    existing = {s.code: s for s in stadium.sectors.select_related("seat_map", "snake_config")}
    for order, sector_plan in enumerate(plan.sectors, start=1):
        sector = existing.get(sector_plan.code)
        if sector is None:
            sector = venues.sector_create(stadium=stadium, data={
                "name": sector_plan.name, "code": sector_plan.code,
                "capacity": len(maps[sector_plan.code]["seats"]),
                "sector_type": sector_plan.sector_type, "display_order": order})
        if not hasattr(sector, "seat_map"):
            venues.seat_map_create(sector=sector, data=maps[sector_plan.code])
        if not sector.seat_count and not sector.seats.exists():
            venues.seats_generate(sector=sector)
        if not hasattr(sector, "snake_config"):
            venues.snake_config_update(sector=sector, data=_snake(sector_plan))
    return stadium


def seed_stadium_templates() -> list[Stadium]:
    """Create whatever is missing of the five home templates; returns them in plan order."""
    with transaction.atomic():
        return [_seed_stadium(plan) for plan in TEMPLATES]
