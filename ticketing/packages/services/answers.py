"""Custom option answers at checkout (US4): each ticket holder of a package answers its active
options; a required one missing is 422 naming it, and the answers are stored per ticket."""

from core.errors import ValidationFailed
from core.sql import insert_rows
from ticketing.packages.models import TEXT_ANSWER_MAX, OptionKind, OptionResponse, PackageOption


def _field(index: int, option_id: int | str) -> str:
    return f"holders[{index}].options.{option_id}"


def _value(option: PackageOption, value, index: int):
    """The answer in its stored form, or None when it is missing; 422 when it is malformed."""
    if value is None or value == "" or value == []:
        return None
    if option.kind == OptionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationFailed(f'Holder {index + 1}: "{option.label}" is true or false.',
                                   code="option_invalid", field=_field(index, option.pk))
        return value
    if option.kind == OptionKind.MULTI_SELECT:
        chosen = [value] if isinstance(value, str) else value
        if (not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen)
                or set(chosen) - set(option.choices) or len(set(chosen)) != len(chosen)):
            raise ValidationFailed(
                f'Holder {index + 1}: "{option.label}" takes one or more of '
                f'{", ".join(option.choices)}.', code="option_invalid",
                field=_field(index, option.pk))
        return chosen
    if not isinstance(value, str) or len(value.strip()) > TEXT_ANSWER_MAX:
        raise ValidationFailed(f'Holder {index + 1}: "{option.label}" is text of at most '
                               f'{TEXT_ANSWER_MAX} characters.', code="option_invalid",
                               field=_field(index, option.pk))
    return value.strip() or None


def answers_check(*, package_ids: list[int | None], given: list[dict]
                  ) -> list[list[tuple[PackageOption, object]]]:
    """For each ticket (`package_ids[i]`: its package, None for a plain ticket) the answers its
    holder gave (`given[i]["options"]`, option id -> value), validated against the package's
    active options; one read for all options."""
    ids = {package_id for package_id in package_ids if package_id}
    options: dict[int, list[PackageOption]] = {}
    for option in PackageOption.objects.filter(package_id__in=ids, is_active=True) if ids else ():
        options.setdefault(option.package_id, []).append(option)
    result = []
    for index, package_id in enumerate(package_ids):
        answers = dict((given[index].get("options") or {}) if index < len(given) else {})
        ticket = []
        for option in options.get(package_id, []):
            value = _value(option, answers.pop(str(option.pk), None), index)
            if value is None and option.is_required:
                raise ValidationFailed(f'Holder {index + 1}: "{option.label}" is required.',
                                       code="option_required", field=_field(index, option.pk))
            if value is not None:
                ticket.append((option, value))
        if answers:
            raise ValidationFailed(f"Holder {index + 1}: no such option for this ticket.",
                                   code="option_unknown", field=_field(index, next(iter(answers))))
        result.append(ticket)
    return result


def answers_record(order_items: list, answers: list[list[tuple[PackageOption, object]]]) -> None:
    """Store the answers, `answers[i]` for `order_items[i]` (just inserted, in ticket order);
    each item gets `option_answers` for the response."""
    rows = []
    for item, ticket in zip(order_items, answers, strict=True):
        item.option_answers = [(option, value) for option, value in ticket]
        rows += [OptionResponse(order_item=item, option=option, value=value)
                 for option, value in ticket]
    if rows:
        insert_rows(rows)
