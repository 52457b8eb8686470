"""Prometheus metrics at GET /metrics (prometheus-client).

Counted where they happen: every HTTP request (view, method, status: a counter and a latency
histogram, from `request_metrics`, the outermost middleware), every completed order (by source)
and every processed provider webhook (seconds from the event's creation to its processing).
Read when Prometheus scrapes: the collectors in settings.METRICS_COLLECTORS (the sale's gauges,
reports.metrics), which read the database and Redis themselves; core sits below the apps they
read, so it only loads them by name.

Several processes (uvicorn or gunicorn workers, Celery's) each count their own. With
settings.METRICS_MULTIPROC_DIRS (PROMETHEUS_MULTIPROC_DIR, set before the processes start) every
process writes its values to files there and a scrape adds up the files of every directory
listed, so any worker answers for all of them. Without it a process answers for itself: right
for the embedded default's single process.

Who may read: see `metrics_allowed`; everyone else gets the 404 of an unknown page."""

import hmac
import ipaddress
import time
from functools import lru_cache
from pathlib import Path

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils.decorators import sync_and_async_middleware
from django.utils.module_loading import import_string
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from core.net import client_ip

# --- what the code counts -------------------------------------------------------------------
# Every metric has labels, so a process that counts nothing (a management command, a health
# check) writes no file under PROMETHEUS_MULTIPROC_DIR.

REQUESTS = Counter("hns_http_requests", "HTTP requests answered, by view, method and status.",
                   ["view", "method", "status"])
LATENCY = Histogram(
    "hns_http_request_duration_seconds",
    "Time from the request entering Django to its response leaving, by view, method, status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
ORDERS_COMPLETED = Counter("hns_orders_completed", "Orders completed, by source (SHOP, QUOTA).",
                           ["source"])
WEBHOOK_LAG = Histogram(
    "hns_webhook_lag_seconds",
    "Seconds from a provider event's creation (Stripe's `created`) to our processing it.",
    ["provider"],
    buckets=(1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0))

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"  # no URL pattern (a 404 before any view, a redirect to HTTPS)

_children: dict[tuple[str, str, int], tuple] = {}


def _observe(request, response, seconds: float) -> None:
    match = request.resolver_match  # set once the URL resolved (None before or without)
    key = (match.view_name if match else UNMATCHED,
           request.method if request.method in METHODS else "other", response.status_code)
    children = _children.get(key)
    if children is None:  # the first request of its kind in this process: find the series
        labels = (*key[:2], str(key[2]))
        children = _children.setdefault(key, (REQUESTS.labels(*labels),
                                              LATENCY.labels(*labels)))
    children[0].inc()
    children[1].observe(seconds)


@sync_and_async_middleware
def request_metrics(get_response):
    """Count and time every request. Async under ASGI, sync under WSGI, so it never costs a
    thread switch; a request costs two in-memory updates (measured: ~2 µs, ~5 µs with
    PROMETHEUS_MULTIPROC_DIR's files)."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            started = time.perf_counter()
            response = await get_response(request)
            _observe(request, response, time.perf_counter() - started)
            return response
    else:
        def middleware(request):
            started = time.perf_counter()
            response = get_response(request)
            _observe(request, response, time.perf_counter() - started)
            return response
    return middleware


def order_completed_count(source: str) -> None:
    ORDERS_COMPLETED.labels(source).inc()


def webhook_lag_observe(event: dict, *, provider: str) -> None:
    """A processed webhook's lag; a clock skew (an event from the future) counts as 0."""
    created = event.get("created")
    if isinstance(created, int | float):
        WEBHOOK_LAG.labels(provider).observe(max(0.0, time.time() - created))


# --- who may read ---------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _token_given(request) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode())


def _address_allowed(request) -> bool:
    networks = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_allowed(request) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>` (compared in constant time), or a client address
    (core.net.client_ip, so X-Forwarded-For only from TRUSTED_PROXIES) in METRICS_ALLOWED_IPS.
    Both empty: nobody (METRICS_ALLOWED_IPS defaults to loopback under DEBUG only)."""
    return _token_given(request) or _address_allowed(request)


# --- the scrape -----------------------------------------------------------------------------

class _ProcessFiles:
    """The values every process wrote under the multiprocess directories, added up."""

    def __init__(self, directories: list[str]):
        self.directories = directories

    def _files(self) -> list[str]:
        return [str(path) for directory in self.directories
                for path in sorted(Path(directory).glob("*.db"))]

    def collect(self):
        try:
            return MultiProcessCollector.merge(self._files(), accumulate=True)
        except FileNotFoundError:  # a restarting service wiped its directory meanwhile
            return MultiProcessCollector.merge(self._files(), accumulate=True)


@lru_cache(maxsize=4)
def _scrape_collectors(paths: tuple[str, ...]) -> tuple:
    return tuple(import_string(path)() for path in paths)


class _Scrape:
    def __init__(self, sources):
        self.sources = sources

    def collect(self):
        for source in self.sources:
            yield from source.collect()


def metrics_view(request):
    if not metrics_allowed(request):
        raise Http404  # the same answer as any unknown page: nothing tells it exists
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    counted = (_ProcessFiles(settings.METRICS_MULTIPROC_DIRS) if settings.METRICS_MULTIPROC_DIRS
               else REGISTRY)  # this process alone, with its process_* and python_* metrics
    scrape = _Scrape([counted, *_scrape_collectors(tuple(settings.METRICS_COLLECTORS))])
    return HttpResponse(generate_latest(scrape), content_type=CONTENT_TYPE_LATEST)
