"""`seed_demo` creates admin@hns.example with the README's password: with DEBUG off it refuses
unless DEMO_DATA_ALLOWED says this is a throwaway demo."""

import pytest
from django.core.management import CommandError, call_command

from ticketing.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_where_demo_data_is_not_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False

    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        call_command("seed_demo")

    assert not User.objects.filter(email="admin@hns.example").exists()
