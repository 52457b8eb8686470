"""Loyalty tiers of a sales phase (E6-F2): `eligibility_rules_json["loyalty_tiers"]`, a list of
{"min_points", "ticket_limit"}. A fan's tier is the one with the highest `min_points` they
reach; a fan below every tier has none and cannot buy in the phase."""


def tiers_sorted(tiers: list[dict]) -> list[dict]:
    return sorted(tiers, key=lambda tier: tier["min_points"])


def tier_for(tiers: list[dict], points: int) -> dict | None:
    reached = [tier for tier in tiers_sorted(tiers) if tier["min_points"] <= points]
    return reached[-1] if reached else None


def lowest_threshold(tiers: list[dict]) -> int:
    return min(tier["min_points"] for tier in tiers)
