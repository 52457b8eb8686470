"""JSON Schemas that admin input is validated against, published at /api/admin/schemas/…"""

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent


@cache
def schema_load(name: str) -> dict:
    """The parsed schema `<name>.json` from this folder (read once per process)."""
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
