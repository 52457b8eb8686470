"""What every benchmark shares: production settings with throwaway secrets (DEBUG off refuses
the development keys), a freshly created database and Redis DB, and the payment-succeeded event
the drivers post as Stripe would, and a reading of how fast the host is right now."""

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

PG_URL = "postgres://postgres@127.0.0.1:5432"


def production_env(*, db_name: str, redis_url: str, cache_prefix: str, sso_key_file: Path,
                   **extra: str) -> dict[str, str]:
    """Settings for a DEBUG-off run against `db_name`; writes a made-up SSO public key to
    `sso_key_file`. `extra` adds or overrides variables."""
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    sso_key_file.parent.mkdir(parents=True, exist_ok=True)
    sso_key_file.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        .public_bytes(serialization.Encoding.PEM,
                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": secrets.token_urlsafe(32),
        "SSO_PUBLIC_KEY_FILE": str(sso_key_file),
        "DATABASE_URL": f"{PG_URL}/{db_name}",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PAYMENTS_LOCAL_ENABLED": "true",  # the drivers pay through the local provider
        "DEMO_DATA_ALLOWED": "true",  # the drivers sell seed_demo's match
        "SECURE_SSL_REDIRECT": "false",  # the drivers speak plain HTTP to 127.0.0.1
        **extra,
    }


def recreate_database(db_name: str, redis_url: str) -> None:
    """Drop and create `db_name`; empty the Redis DB."""
    import psycopg
    import redis

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
    redis.Redis.from_url(redis_url).flushdb()


def stripe_succeeded_event(*, intent_id: str, order: dict, secret: str) -> tuple[bytes, str]:
    """What Stripe posts when a fan's card payment for `order` (as the API rendered it)
    succeeds: the body and its Stripe-Signature header, signed Stripe's way with `secret`."""
    cents = round(float(order["total_amount"]) * 100)
    now = int(time.time())
    payload = json.dumps({
        "id": f"evt_bench_{secrets.token_hex(12)}", "object": "event", "api_version": None,
        "created": now, "livemode": False, "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": cents,
                            "amount_received": cents, "currency": "eur",
                            "metadata": {"reference": f"order:{order['id']}"},
                            "status": "succeeded"}}}).encode()
    digest = hmac.new(secret.encode(), f"{now}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={now},v1={digest}"


def host_speed(rounds: int = 3000) -> str:
    """CPU per `SELECT 1` round trip (this process and its PostgreSQL backend) and the share of
    the machine the hypervisor stole meanwhile. This VM's speed changes from hour to hour (the
    quickest seen: about 25 us in the client; 2 to 3 times that on a busy host), so every
    benchmark prints this beside its figures, and figures compare only at similar speeds."""
    import psycopg

    def stolen_and_total() -> tuple[int, int]:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        return ticks[7], sum(ticks)

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        for _ in range(200):
            conn.execute("SELECT 1")
        schedstat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
        steal0, total0 = stolen_and_total()
        server0, client0 = int(schedstat.read_text().split()[0]), time.process_time()
        for _ in range(rounds):
            conn.execute("SELECT 1").fetchone()
        client = (time.process_time() - client0) / rounds * 1e6
        server = (int(schedstat.read_text().split()[0]) - server0) / rounds / 1e3
        steal1, total1 = stolen_and_total()
    stolen = (steal1 - steal0) / max(1, total1 - total0) * 100
    return (f"host speed: SELECT 1 costs {client:.0f} us here + {server:.0f} us in PostgreSQL, "
            f"{stolen:.0f} % stolen by the hypervisor ({os.cpu_count()} cores)")


def django_bench(*, name: str, db_name: str = "ticketing_bench",
                 redis_url: str = "redis://127.0.0.1:6379/10", **extra: str) -> None:
    """Production settings on a fresh `db_name` and Redis DB, Django set up, the audit log
    quiet: the start of a benchmark that builds its own data."""
    os.environ.update(production_env(db_name=db_name, redis_url=redis_url,
                                     cache_prefix=f"bench-{name}",
                                     sso_key_file=Path(f"/tmp/bench-{name}-sso.pem"), **extra))
    recreate_database(db_name, redis_url)
    import logging

    import django

    django.setup()
    logging.getLogger("audit").setLevel(logging.WARNING)
