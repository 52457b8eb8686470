"""Match cancellation benchmark (not a test): cancel a sold-out 35,000-seat match.

    flock /tmp/bench.lock .venv/bin/python bench/match_cancel.py [orders]

Setup, not timed: drops and recreates the `ticketing_bench` database (PostgreSQL on
127.0.0.1:5432), flushes Redis DB 10, runs with production settings (DEBUG off, throwaway keys)
and Celery eager (the job, the refund tasks and the notifications run inline, one worker's
worth), builds the demo's HOME match at Stadion Maksimir and sells it out in bulk: one order of
two seats per buyer (17,500 orders by default), each paid at Stripe. A local server speaking
Stripe's refund API (tests/payments/conftest.py) answers the refunds.

Timed: `match_cancel` (the Super Admin's click: sale stopped, carts released) and the job that
cancels every ticket, refunds every order and tells every buyer. Prints refunds/s, the time to
the last refund, notifications/s, and checks that every paid order was refunded exactly once,
in full, and that no ticket is left valid.
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import production_env, recreate_database  # noqa: E402

DB_NAME = "ticketing_bench"
REDIS_URL = "redis://127.0.0.1:6379/10"
SEATS_PER_ORDER = 2
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))


def stripe_server() -> ThreadingHTTPServer:
    from tests.payments.conftest import _StripeHandler

    server = ThreadingHTTPServer(("127.0.0.1", 0), _StripeHandler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.requests, server.replies_by_key, server.failures = [], {}, {}
    server.refund_status, server.refund_declines = "succeeded", 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sold_out_match(orders_wanted: int):
    """The Maksimir HOME match with `orders_wanted` two-seat orders, paid at Stripe, written in
    bulk (setup: the purchase path has its own benchmark)."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from core.pii import keyed_hash
    from payments.models import Payment, PaymentStatus, Provider
    from payments.pricing import line_amounts, order_amounts
    from seating import demo
    from seating.models import MatchType, SeatInventory, SeatStatus
    from seating.services import match_config, matches
    from seating.stadium_templates import seed_stadium_templates
    from ticketing.models import (
        HolderSource,
        Order,
        OrderItem,
        OrderStatus,
        Ticket,
        TicketStatus,
        User,
    )
    from ticketing.services.tickets import barcode_new

    call_command("migrate", verbosity=0)
    maksimir = next(s for s in seed_stadium_templates() if s.city == "Zagreb")
    match = matches.match_create(
        actor=None, home_team="Hrvatska", away_team="Bench opponent", competition="Bench",
        kick_off_time=timezone.now() + timedelta(days=20), match_type=MatchType.HOME,
        venue_id=maksimir.id, is_numbered=True)
    match_config.match_stadium_copy_template(match_id=match.id, actor=None,
                                             stadium_template_id=maksimir.id)
    demo._go_on_sale(match, prices={
        s.code: (demo.CATEGORY_NAMES[demo._price_key(s.code)],
                 demo.HOME_PRICES[demo._price_key(s.code)]) for s in match.sectors.all()})
    seats = list(SeatInventory.objects.filter(match=match, status=SeatStatus.AVAILABLE)
                 .select_related("match_sector__price_category").order_by("id"))
    pairs = [seats[i:i + SEATS_PER_ORDER] for i in range(0, len(seats) - 1, SEATS_PER_ORDER)]
    pairs = [p for p in pairs if len(p) == SEATS_PER_ORDER][:orders_wanted]
    now = timezone.now()
    users = User.objects.bulk_create(User(email=f"fan{n}@bench.hr") for n in range(len(pairs)))
    amounts = [order_amounts(lines=[line_amounts(unit_price=s.match_sector.price_category.price,
                                                 quantity=1) for s in pair],
                             fee_percent=match.fee_percent, match_type=match.match_type)
               for pair in pairs]
    orders = Order.objects.bulk_create(
        Order(buyer=user, match=match, status=OrderStatus.COMPLETED, paid_at=now, ended_at=now,
              ticket_amount=a.ticket_amount, ticket_vat_amount=a.ticket_vat_amount,
              fee_amount=a.fee_amount, fee_vat_amount=a.fee_vat_amount,
              total_amount=a.total_amount, fee_percent=a.fee_percent)
        for user, a in zip(users, amounts, strict=True))
    payments = Payment.objects.bulk_create(
        Payment(reference=f"order:{o.pk}", idempotency_key=f"order:{o.pk}:1",
                provider=Provider.STRIPE, provider_payment_id=f"pi_bench_{o.pk}",
                amount=o.total_amount, status=PaymentStatus.SUCCEEDED) for o in orders)
    for order, payment in zip(orders, payments, strict=True):
        order.payment, order.number = payment, f"HNS-BENCH-{order.pk:06d}"
    Order.objects.bulk_update(orders, ["payment", "number"], batch_size=2000)
    items = OrderItem.objects.bulk_create(
        (OrderItem(order=order, inventory=seat, match_sector_id=seat.match_sector_id,
                   price_category_id=seat.match_sector.price_category_id,
                   unit_price=seat.match_sector.price_category.price,
                   holder_source=HolderSource.MANUAL_ENTRY, first_name="Fan", last_name=str(n),
                   date_of_birth="1990-01-01", nationality="DE", oib_hash=keyed_hash(""))
         for n, (order, pair) in enumerate(zip(orders, pairs, strict=True)) for seat in pair),
        batch_size=5000)
    Ticket.objects.bulk_create(
        (Ticket(order_id=item.order_id, order_item=item, match=match,
                inventory_id=item.inventory_id, status=TicketStatus.VALID, barcode=barcode_new(),
                holder_name=item.full_name, issued_at=now) for item in items), batch_size=5000)
    SeatInventory.objects.filter(pk__in=[i.inventory_id for i in items]).update(
        status=SeatStatus.SOLD)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return match, orders


def run_shard(cancellation_id: int, shard: int) -> None:
    from django.db import connection

    from ticketing.aftersale.services.match_cancel import match_cancel_run

    try:
        match_cancel_run(cancellation_id=cancellation_id, shard=shard, shards=WORKERS)
    finally:
        connection.close()


def main() -> None:
    orders_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 17_500
    server = stripe_server()
    os.environ.update(production_env(
        db_name=DB_NAME, redis_url=REDIS_URL, cache_prefix="bench-cancel",
        sso_key_file=Path("/tmp/bench-cancel-sso.pem"), CELERY_TASK_ALWAYS_EAGER="true",
        STRIPE_SECRET_KEY="sk_test_bench", STRIPE_WEBHOOK_SECRET="whsec_bench",
        STRIPE_API_BASE=f"http://127.0.0.1:{server.server_address[1]}",
        PAYMENTS_PROVIDER="stripe", MATCH_CANCEL_WORKERS="0"))  # the bench runs the shards
    recreate_database(DB_NAME, REDIS_URL)
    import django

    django.setup()
    import logging

    logging.getLogger("audit").setLevel(logging.WARNING)
    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("stripe").setLevel(logging.WARNING)
    from django.db.models import Count, Max, Sum

    from core.models import EmailLog, PushLog
    from core.roles import Role, roles_sync
    from payments.models import Refund, RefundStatus
    from ticketing.aftersale.models import MatchCancellation
    from ticketing.aftersale.services.match_cancel import match_cancel
    from ticketing.models import Order, Ticket, TicketStatus, User

    started = time.perf_counter()
    match, orders = sold_out_match(orders_wanted)
    tickets = Ticket.objects.filter(match=match).count()
    roles_sync()
    admin = User.objects.create_user(email="boss@bench.hr", is_staff=True)
    admin.groups.add(django.contrib.auth.models.Group.objects.get(name=Role.SUPER_ADMIN))
    print(f"Setup: {len(orders):,} paid orders, {tickets:,} tickets at Maksimir in "
          f"{time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    with ThreadPoolExecutor(WORKERS) as pool:  # the Celery workers, one shard each
        match_cancel(match_id=match.pk, actor=admin, reason="Bench: stadium closed")
        cancellation = MatchCancellation.objects.get(match=match)
        list(pool.map(lambda shard: run_shard(cancellation.pk, shard), range(WORKERS)))
    elapsed = time.perf_counter() - started
    if os.environ.get("BENCH_PROFILE"):
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)

    cancellation = MatchCancellation.objects.get(match=match)
    refunds = Refund.objects.filter(reference__startswith="order:")
    window = refunds.aggregate(last=Max("completed_at"))
    to_last = (window["last"] - cancellation.started_at).total_seconds()
    completed = refunds.filter(status=RefundStatus.COMPLETED).count()
    emails = EmailLog.objects.filter(template_key="match_cancellation").count()
    pushes = PushLog.objects.filter(notification_type="match_cancelled").count()
    print(f"\nCancel + job: {elapsed:.1f} s for {len(orders):,} orders with {WORKERS} workers "
          f"({len(orders) / elapsed:.0f} orders/s)")
    calls = sum(1 for r in server.requests if r["path"] == "/v1/refunds")
    print(f"Refunds: {completed:,} completed, {completed / to_last:.0f} refunds/s, last one "
          f"{to_last:.1f} s after the cancellation; {calls:,} Stripe calls")
    print(f"Notifications: {emails:,} emails + {pushes:,} pushes, "
          f"{(emails + pushes) / elapsed:.0f}/s; report says {cancellation.notifications_sent:,}")

    per_order = dict(refunds.values("reference").annotate(n=Count("id"))
                     .values_list("reference", "n"))
    twice = sum(1 for n in per_order.values() if n != 1)
    missing = len(orders) - len(per_order)
    money_out = refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    money_in = Order.objects.filter(match=match).aggregate(total=Sum("total_amount"))["total"]
    valid = Ticket.objects.filter(match=match, status=TicketStatus.VALID).count()
    print(f"\nCheck: {missing} orders without a refund, {twice} refunded more than once, "
          f"{valid} tickets still valid, {money_out} EUR refunded of {money_in} EUR paid, "
          f"cancellation {cancellation.status}")
    ok = not missing and not twice and not valid and money_out == money_in \
        and completed == len(orders) and cancellation.status == "COMPLETED"
    print("OK" if ok else "CHECK FAILED")


if __name__ == "__main__":
    main()
