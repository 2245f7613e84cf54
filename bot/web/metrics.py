"""/metrics: Prometheus text format (prometheus-client), one CollectorRegistry per Application.

Counted as it happens: updates handled and their latency per command (UpdateMeter wraps every update's
processing), Bot API answers (messages sent, 429s, permanent refusals by reason) from the bot's transport
(bot/delivery/transport.py observers), webhook requests refused. Read at scrape time: outbox rows per state, provider
syncs by provider and outcome (storage/providers.py keeps them, so they survive restarts), scheduler jobs
pending.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application, CommandHandler, SimpleUpdateProcessor

from bot.delivery.errors import action_for
from storage.service_stats import oldest_due, outbox_states

log = logging.getLogger(__name__)

SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Latency of one update from dequeue to the last handler's return; replies are queued, so most are fast.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Snapshot(Collector):
    """What the store and the scheduler said at the start of this scrape (Collector.collect is sync)."""

    def __init__(self) -> None:
        self.outbox: dict[str, int] = {}
        self.oldest_due = 0.0
        self.syncs: list[tuple[str, int, int]] = []  # provider, successes, failures
        self.jobs = 0

    def collect(self) -> Iterable[Metric]:
        rows = GaugeMetricFamily("pitboard_outbox_rows", "Outbox rows per state.", labels=["state"])
        for state, count in sorted(self.outbox.items()):
            rows.add_metric([state], count)
        yield rows
        yield GaugeMetricFamily(
            "pitboard_outbox_oldest_due_seconds", "Age of the oldest due, unsent outbox row.", value=self.oldest_due
        )
        syncs = CounterMetricFamily(
            "pitboard_provider_syncs", "Provider runs by provider and outcome.", labels=["provider", "outcome"]
        )
        for provider, ok, failed in self.syncs:
            syncs.add_metric([provider, "success"], ok)
            syncs.add_metric([provider, "failure"], failed)
        yield syncs
        yield GaugeMetricFamily("pitboard_scheduler_jobs_pending", "Jobs in the scheduler.", value=self.jobs)


class Metrics:
    def __init__(self) -> None:
        # Not the global registry: several Applications in one test process must not share counters.
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "pitboard_updates_handled", "Updates handled, by command.", ["command"], registry=self.registry
        )
        self.latency = Histogram(
            "pitboard_update_seconds",
            "Time to handle one update, by command.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sent = Counter(
            "pitboard_messages_sent", "Messages Telegram accepted, by method.", ["method"], registry=self.registry
        )
        self.too_many = Counter("pitboard_telegram_429", "Bot API answers 429 (flood control).", registry=self.registry)
        self.refused = Counter(
            "pitboard_permanent_errors",
            "Sends Telegram refused for good (400/403), by what it means for the chat.",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_refused = Counter(
            "pitboard_webhook_refused", "Webhook requests refused (wrong or missing secret).", registry=self.registry
        )
        self.snapshot = _Snapshot()
        self.registry.register(self.snapshot)

    def observe_api(self, method: str, status: int, body: bytes) -> None:
        """A bot/delivery/transport.py observer: counts sends, 429s and permanent refusals."""
        if status == 429:
            self.too_many.inc()
        elif method in SENDS and 200 <= status < 300:
            self.sent.labels(method).inc()
        elif method in SENDS and status in (400, 403):
            self.refused.labels(action_for(status, _description(body)).value).inc()

    async def refresh(self, application: Application) -> None:  # type: ignore[type-arg]
        from handlers.common import Services

        services = application.bot_data.get("services")
        if isinstance(services, Services):
            self.snapshot.outbox = await outbox_states(services.store.db)
            self.snapshot.oldest_due = await oldest_due(services.store.db, services.clock.now())
            self.snapshot.syncs = [
                # A provider's name may be a URL: its query could carry a key, so only the address part is shown.
                (status.provider.split("?", 1)[0], status.runs - status.failures, status.failures)
                for status in await services.store.providers.all()
            ]
        self.snapshot.jobs = len(application.job_queue.jobs()) if application.job_queue is not None else 0


def _description(body: bytes) -> str:
    try:
        found = json.loads(body).get("description", "")
    except (ValueError, AttributeError):
        return ""
    return found if isinstance(found, str) else ""


def update_label(update: object, commands: frozenset[str]) -> str:
    """The command an update runs ("start", "ics", …), else "button", "message", "member" or "other". A command
    the bot does not know is "unknown_command", so a user cannot invent label values."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    message = update.message
    if message is not None:
        text = message.text or message.caption or ""
        if text.startswith("/") and len(text) > 1:
            word = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
            return word if word in commands else "unknown_command"
        return "message"
    if update.my_chat_member is not None or update.chat_member is not None:
        return "member"
    return "other"


def registered_commands(application: Application) -> frozenset[str]:  # type: ignore[type-arg]
    return frozenset(
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    )


class UpdateMeter(SimpleUpdateProcessor):
    """PTB's update processor (concurrent updates) that times each update's handling."""

    __slots__ = ("_commands", "_find_commands", "metrics")

    def __init__(self, max_concurrent_updates: int, metrics: Metrics) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics
        self._find_commands: Callable[[], frozenset[str]] | None = None
        self._commands: frozenset[str] | None = None

    def commands_from(self, application: Application) -> None:  # type: ignore[type-arg]
        # Read on the first update: every handler is registered by then.
        self._find_commands = lambda: registered_commands(application)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._commands is None:
            self._commands = self._find_commands() if self._find_commands else frozenset()
        label = update_label(update, self._commands)
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            self.metrics.latency.labels(label).observe(time.perf_counter() - started)
            self.metrics.updates.labels(label).inc()


def add_routes(server: web.Application, application: Application) -> None:  # type: ignore[type-arg]
    async def scrape(request: web.Request) -> web.Response:
        metrics = application.bot_data.get("metrics")
        if not isinstance(metrics, Metrics):
            return web.Response(status=503, text="metrics not set up")
        try:
            await metrics.refresh(application)
        except Exception as exc:  # a scrape during a database outage still shows the counters
            log.warning("metrics: the store could not be read (%s)", type(exc).__name__)
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    server.router.add_get("/metrics", scrape)
