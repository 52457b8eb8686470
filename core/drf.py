"""Small DRF helpers shared by every app's api.py."""

import json

from rest_framework import serializers

from core.bounds import JSON_MAX_BYTES


def errors_text(detail: dict) -> str:
    """A serializer's errors as one line for a page ("field: problem; ...")."""
    return "; ".join(f"{name}: {' '.join(map(str, problems))}"
                     for name, problems in detail.items())


def validated(serializer_class, data, **kwargs) -> dict:
    """Validate request data with an input serializer (400 in the one error shape otherwise)
    and return a plain dict for the service call."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def page_of(serializer_class) -> type[serializers.Serializer]:
    """The documented shape of a PageNumberPagination page of `serializer_class`, for views
    that paginate by hand."""
    return type(f"{serializer_class.__name__}Page", (serializers.Serializer,), {
        "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializer_class(many=True)})


class BoundedJSONField(serializers.JSONField):
    """A JSON value of at most `max_bytes` once encoded: a JSON column has no length of its
    own, and strings inside it are free text like any other."""

    def __init__(self, *, max_bytes: int = JSON_MAX_BYTES, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(json.dumps(value, separators=(",", ":"))) > self.max_bytes:
            raise serializers.ValidationError(
                f"Ensure this value is at most {self.max_bytes} bytes as JSON.")
        return value
