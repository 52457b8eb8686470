"""Explicit status machines: each status field's allowed moves in one table, and one check every
transition goes through. How a move is stored stays with its service (a locked row's save, a
claiming UPDATE ... WHERE status = the old one, plain SQL on the sale path)."""

from collections.abc import Iterable, Mapping

from core.errors import InvalidTransition


class StatusMachine:
    def __init__(self, noun: str, transitions: Mapping[str, Iterable[str]]):
        self.noun = noun  # names the thing in errors: "A PAID order cannot become ..."
        self.transitions = {status: frozenset(targets) for status, targets in transitions.items()}

    def allowed(self, from_status: str) -> frozenset[str]:
        return self.transitions.get(from_status, frozenset())

    def sources(self, to_status: str) -> list[str]:
        """The statuses `to_status` may be reached from, sorted."""
        return sorted(s for s, targets in self.transitions.items() if to_status in targets)

    def check(self, from_status: str, to_status: str, *, field: str | None = None) -> None:
        """Raise InvalidTransition unless the table allows from_status -> to_status."""
        if to_status not in self.allowed(from_status):
            allowed = ", ".join(sorted(self.allowed(from_status))) or "nothing"
            raise InvalidTransition(f"A {from_status} {self.noun} cannot become {to_status}"
                                    f" (allowed: {allowed}).", field=field)

    def move(self, obj, to_status: str, **fields) -> str:
        """Check the move and apply it, with `fields`, to `obj` in memory; returns the status it
        left. The caller stores it."""
        from_status = obj.status
        self.check(from_status, to_status)
        obj.status = to_status
        for name, value in fields.items():
            setattr(obj, name, value)
        return from_status
