"""The run command's demo data has quotas to try the portal with (seeded here on small matches;
the full `seed_demo` builds five stadiums and is exercised by the README's run command)."""

import pytest

from quotas import demo
from quotas.management.commands.seed_demo import _terms
from quotas.models import Quota, QuotaSeat
from quotas.services.magic_links import magic_link_issue, magic_link_redeem
from tests.quotas.conftest import numbered_match, standing_match, token_in

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_free_a_paid_a_deferred_and_a_delegating_quota():
    matches = [numbered_match(), standing_match()]
    demo.seed_quotas(matches)
    demo.seed_quotas(matches)  # idempotent

    quotas = {q.recipient_email: q for q in Quota.objects.filter(parent__isnull=True)}
    assert len(quotas) == 4
    assert _terms(quotas["vip@demo.hns.hr"]) == "free (GR), may send tickets on"
    assert _terms(quotas["sponsor@demo.hns.hr"]) == "paid, 20 % off"
    assert _terms(quotas["partner@demo.hns.hr"]) == "pay later"
    assert not quotas["away@demo.hns.hr"].match.is_numbered
    assert QuotaSeat.objects.count() == sum(q.quantity for q in quotas.values())
    link = magic_link_issue(quota=quotas["vip@demo.hns.hr"])
    user, quota = magic_link_redeem(token=token_in(link))
    assert (user.email, quota) == ("vip@demo.hns.hr", quotas["vip@demo.hns.hr"])
