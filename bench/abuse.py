"""Abuse benchmark (not a test): brute force against the rate limits.

    flock /tmp/bench.lock .venv/bin/python bench/abuse.py [attempts]

Production settings on a fresh `ticketing_bench` database and Redis DB 10 (the limits' counters
live in Redis, as in production). Every request goes through the whole Django stack
(middleware, DRF, the exception handler) in this process, from a few clients at once (one
thread each):
- 10,000 app logins with made-up webshop tokens (POST /api/auth/login) from 4 client
  addresses: AUTH_THROTTLE_RATE (30/min) per address;
- 10,000 PIN guesses (GET /api/petrol-portal/pins/<pin>) by 4 petrol staff at 2 stations:
  PETROL_PIN_FAILURES_PER_STAFF (10/h) and _PER_STATION (30/h).
Prints how many got through to the check (any answer but 429) before the limits closed, and
what a refused request costs next to one that was checked.
"""

import logging
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import django_bench, host_speed  # noqa: E402

CLIENTS = 4


def hammer(name: str, attempts: int, send_for_client) -> None:
    """`attempts` requests split over CLIENTS threads; `send_for_client(n)` gives client n's
    function that sends one request and returns (status, seconds)."""
    def client(n: int) -> list[tuple[int, float]]:
        send = send_for_client(n)
        return [send(i) for i in range(attempts // CLIENTS)]

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]
    wall = time.perf_counter() - started
    refused = [seconds for status, seconds in results if status == 429]
    checked = [seconds for status, seconds in results if status != 429]
    statuses = sorted({status for status, _ in results})
    print(f"{name}: {len(results):,} attempts in {wall:.1f} s from {CLIENTS} clients; "
          f"{len(checked):,} got through to the check, {len(refused):,} refused (429); "
          f"answers {statuses}")
    if refused:
        print(f"  a refused request: p50 {statistics.median(refused) * 1000:.2f} ms, "
              f"p99 {statistics.quantiles(refused, n=100)[98] * 1000:.2f} ms")
    if checked:
        print(f"  a checked request: p50 {statistics.median(checked) * 1000:.2f} ms")


def timed(call) -> tuple[int, float]:
    started = time.perf_counter()
    status = call().status_code
    return status, time.perf_counter() - started


def main() -> None:
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    django_bench(name="abuse")
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from core.roles import Role
    from quotas.petrol.models import PetrolStaffMember, PetrolStation
    from ticketing.models import User

    call_command("migrate", verbosity=0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # a line per 429 otherwise
    print(host_speed())

    def login_client(n: int):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        return lambda i: timed(lambda: client.post(
            "/api/auth/login", {"drupal_token": f"made-up-{n}-{i}"},
            content_type="application/json"))

    hammer("app login (SSO token exchange)", attempts, login_client)

    staff_group = Group.objects.get(name=Role.PETROL_STAFF)
    stations = [PetrolStation.objects.create(code=f"ina-{s}", name=f"INA {s}") for s in range(2)]
    staff = []
    for n in range(CLIENTS):
        user = User.objects.create_user(email=f"staff{n}@ina.hr", is_staff=True)
        user.groups.add(staff_group)
        PetrolStaffMember.objects.create(user=user, station=stations[n % 2])
        staff.append(user)

    def pin_client(n: int):
        client = Client()
        client.force_login(staff[n])
        guess = (f"/api/petrol-portal/pins/{(n * 7919 + i) % 100_000:05d}" for i in range(10**9))
        return lambda i: timed(lambda: client.get(next(guess)))

    hammer("petrol PIN guesses", attempts, pin_client)


if __name__ == "__main__":
    main()
