"""Small DRF helpers shared by every app's api.py."""


def validated(serializer_class, data, **kwargs) -> dict:
    """Validate request data with an input serializer (400 in the one error shape otherwise)
    and return a plain dict for the service call."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
