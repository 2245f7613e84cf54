"""The wiring module: settings in, store and delivery up, handlers registered, commands set per language."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.core.clock import SYSTEM, Clock
from bot.core.redact import redact
from bot.delivery import Delivery, FloodGate, Limits
from bot.delivery.replicas import replicate, shared_gate
from bot.delivery.transport import AiohttpRequest
from bot.i18n import LANGUAGES, Translator
from bot.ingest.fetch import FetchLimits
from bot.ingest.importing import news_age
from bot.ingest.providers.client import cache_beside
from bot.ingest.providers.f1_sync import F1Sync, f1_sync_job, make_client
from bot.ingest.providers.watch import Watch
from bot.jobs.notifier import Notifier, poll_job, start_job
from bot.leadership import LEADERSHIP, AlwaysLeader, Leadership, leader_only
from bot.render.menus import DESCRIPTION, SHORT_DESCRIPTION, menu, scopes
from bot.settings import Settings
from bot.startup import StartupError, Webhook, serve, set_commands, until_reachable
from bot.web.health import ApiPulse
from bot.web.metrics import Metrics, UpdateMeter
from bot.web.server import HttpSurface
from bot.web.webhook import allowed_updates
from handlers import admin, chart, drivers, follow, groups, guard, results, schedule, settings, standings, start
from handlers.common import Services, reply
from storage.database import is_postgres
from storage.postgres import PgDatabase
from storage.shared_limits import SharedLimits
from storage.store import Store

log = logging.getLogger(__name__)

# What the bot asks Telegram for. No edited_message: an edit never runs a command again (handlers/guard.py).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")


def quiet_logging() -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def build_application(
    settings_: Settings,
    *,
    gate: FloodGate | None = None,
    store: Store | None = None,
    token: str | None = None,
    clock: Clock = SYSTEM,
    providers: bool = False,
) -> Application:  # type: ignore[type-arg]
    """`providers`: keep data current from providers (F1 from Jolpica unless PITBOARD_SYNC_F1=false).
    Only `pitboard run` says yes: the demo and tests reach no outside service."""
    secret = token or (settings_.telegram_bot_token.get_secret_value() if settings_.telegram_bot_token else None)
    if not secret:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    quiet_logging()
    api_url = settings_.telegram_api_url

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        opened = store or await Store.open(settings_.database, clock=clock)
        app.bot_data["owns_store"] = store is None
        limits = Limits(per_second=settings_.messages_per_second)
        # Replicas: on PostgreSQL every process may be one of several sharing the database (bot/delivery/replicas.py).
        pool = opened.db.pool if isinstance(opened.db, PgDatabase) and is_postgres(settings_.database) else None
        delivery = Delivery(
            app.bot,
            opened.outbox,
            opened.chats,
            gate
            or (
                shared_gate(pool, settings_.messages_per_second, clock)
                if pool is not None
                else FloodGate(limits, clock=clock)
            ),
            paid_broadcast=settings_.paid_broadcast,
            workers=32 if settings_.paid_broadcast else 16,
            clock=clock,
            max_age=timedelta(hours=settings_.alert_max_age_hours),
        )
        if pool is not None:
            replicate(delivery, pool, settings_.database, clock, lease=settings_.claim_lease_seconds)
        app.bot_data["services"] = Services(opened, delivery, settings_, clock)
        notifier = Notifier(opened, delivery, app, clock=clock, results_news_age=news_age(settings_.results_news_days))
        await notifier.open_feed()
        app.bot_data["notifier"] = notifier

        def on_gain() -> None:
            # Alerts: resume the outbox, catch up on the imports log and plan reminders; from then on the
            # poll below. No misfire limit: post_init may take a while (a migration, a Bot API that answers late).
            if app.job_queue is not None:
                app.job_queue.run_once(start_job, when=0, name="alerts-start", job_kwargs={"misfire_grace_time": None})

        # The change feed, the planner, reminders and provider syncs run on one replica (the leader, chosen by
        # a PostgreSQL advisory lock); SQLite's one process always leads.
        lead: Leadership | AlwaysLeader = (
            Leadership(settings_.database, clock=clock, on_gain=on_gain) if pool is not None else AlwaysLeader(on_gain)
        )
        app.bot_data[LEADERSHIP] = lead
        notifier.leads = lambda: lead.is_leader
        await lead.start()
        if pool is not None and app.job_queue is not None:
            # The shared limiter forgets chats whose windows are over (the leader, now and then).
            limiter = SharedLimits(pool)

            async def prune_limits(context: ContextTypes.DEFAULT_TYPE) -> None:
                await limiter.prune(clock.now().timestamp() - 120.0)

            app.job_queue.run_repeating(leader_only(prune_limits), interval=600, first=600, name="limits-prune")
        if app.job_queue is not None:
            # Watch the imports log (any process's imports) every 30 s.
            app.job_queue.run_repeating(
                poll_job,
                interval=settings_.alert_poll_seconds,
                first=settings_.alert_poll_seconds,
                name="alerts-poll",
                job_kwargs={"misfire_grace_time": None},
            )
        if settings_.watch_urls and app.job_queue is not None:
            # Watched timing files: fetched in a job, never in a handler, so an outage slows no command.
            watch = Watch(
                opened,
                settings_.watch_urls,
                series=settings_.watch_series,
                season=settings_.watch_season,
                every=settings_.watch_every,
                clock=clock,
                limits=FetchLimits(timeout=settings_.fetch_timeout),
                max_age=news_age(settings_.results_news_days),
            )
            await watch.announce()
            app.bot_data["watch"] = watch
            # The first poll at start (a repeating job's first run cannot be "now": APScheduler starts later).
            app.job_queue.run_once(
                leader_only(watch_job), when=0, name="watch-start", job_kwargs={"misfire_grace_time": None}
            )
            app.job_queue.run_repeating(
                leader_only(watch_job),
                interval=settings_.watch_every,
                first=settings_.watch_every,
                name="watch",
                job_kwargs={"misfire_grace_time": None},
            )
        if providers and settings_.sync_f1 and app.job_queue is not None:
            client = make_client(settings_.jolpica_url, clock, cache_beside(opened.path, "jolpica"))
            app.bot_data["f1_sync"] = F1Sync(opened, client, clock=clock, max_age=news_age(settings_.results_news_days))
            # Every minute: the calendar when a day has passed, results of sessions whose next try has come.
            # A job still running is skipped, not queued (max_instances=1): a slow provider never piles up.
            app.job_queue.run_repeating(
                leader_only(f1_sync_job), interval=60, first=5, name="f1-sync", job_kwargs={"max_instances": 1}
            )
        await publish_menus(app.bot, settings_.admins, api_url)
        await publish_descriptions(app.bot, api_url)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        lead = app.bot_data.get(LEADERSHIP)
        if isinstance(lead, (Leadership, AlwaysLeader)):
            await lead.close()
        watch = app.bot_data.get("watch")
        if isinstance(watch, Watch):
            await watch.close()
        notifier = app.bot_data.get("notifier")
        if isinstance(notifier, Notifier):
            await notifier.close()
        f1_sync = app.bot_data.get("f1_sync")
        if isinstance(f1_sync, F1Sync):
            await f1_sync.stop()
        services = app.bot_data.get("services")
        if isinstance(services, Services):
            await services.replies.close()
            await services.delivery.close()
            if app.bot_data.get("owns_store"):
                await services.store.close()

    # Monitoring (bot/web): per-Application metrics, and when the Bot API last answered (/readyz).
    metrics = Metrics()
    pulse = ApiPulse(clock)
    request = AiohttpRequest(connection_pool_size=64)
    request.observers += [metrics.observe_api, pulse.observe]
    meter = UpdateMeter(64, metrics)
    app = (
        ApplicationBuilder()
        .token(secret)
        .base_url(settings_.telegram_api_url)
        .base_file_url(settings_.file_url)
        .concurrent_updates(meter)
        # The bot's calls over aiohttp (bot/delivery/transport.py); long polling keeps PTB's own transport.
        .request(request)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    for module in (guard, start, follow, standings, schedule, results, drivers, settings, groups, admin):
        module.register(app)
    chart.register(app)  # /standings' "📈 Chart" button (handlers/chart.py)
    start.register_fallbacks(app)
    app.add_error_handler(on_error)
    app.bot_data["metrics"] = metrics
    app.bot_data["api_pulse"] = pulse
    meter.commands_from(app)
    return app


async def publish_menus(bot: Bot, admins: list[int], api_url: str) -> None:
    """The command menus per scope (private chats, groups, group admins, each Pitboard admin) and language."""
    for scope, audience in scopes(admins):
        for language in LANGUAGES:
            commands = menu(Translator(language), audience)
            code = None if language == "en" else language
            await set_commands(
                functools.partial(bot.set_my_commands, commands, scope=scope, language_code=code), api_url
            )


async def publish_descriptions(bot: Bot, api_url: str) -> None:
    """The bot's description and short description per language, set only where Telegram holds another
    text: they are rate-limited, and most starts change nothing."""
    for language in LANGUAGES:
        t = Translator(language)
        code = "" if language == "en" else language
        for what, call in (
            ("setMyDescription", functools.partial(_description, bot, t(DESCRIPTION), code)),
            ("setMyShortDescription", functools.partial(_short_description, bot, t(SHORT_DESCRIPTION), code)),
        ):
            try:
                await until_reachable(call, what, api_url, give_up=(BadRequest, Forbidden))
            except (BadRequest, Forbidden) as exc:
                log.warning("the bot's description was not set: %s", redact(str(exc)))


async def _description(bot: Bot, text: str, language_code: str) -> None:
    if (await bot.get_my_description(language_code=language_code)).description != text:
        await bot.set_my_description(text, language_code=language_code)


async def _short_description(bot: Bot, text: str, language_code: str) -> None:
    if (await bot.get_my_short_description(language_code=language_code)).short_description != text:
        await bot.set_my_short_description(text, language_code=language_code)


async def watch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    watch = context.application.bot_data.get("watch")
    notifier = context.application.bot_data.get("notifier")
    if not isinstance(watch, Watch):
        return

    async def announce() -> None:
        if isinstance(notifier, Notifier):
            await notifier.poll(notifier.clock.now())

    watch.poll_in_background(announce)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
    errors: list[str] = context.application.bot_data.setdefault("errors", [])
    errors.append(repr(context.error))
    del errors[:-100]
    from telegram import Update

    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            language = "en"
            services = context.application.bot_data.get("services")
            if isinstance(services, Services):
                chat = await services.store.chats.get(update.effective_chat.id)
                language = chat.language if chat else "en"
            t = Translator(language)
            await reply(update, context, t("Sorry, something went wrong. Please try again."))
        except Exception:
            log.exception("could not tell the user about the error")


@asynccontextmanager
async def polling(
    app: Application,  # type: ignore[type-arg]
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start the Application by hand (tests, demo, benchmarks): what run_polling() does, minus the signals."""
    await app.initialize()
    if app.post_init:  # run_polling() calls it; starting by hand must too
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=list(allowed_updates))
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def run_polling(settings_: Settings, **kwargs: Any) -> None:
    """`pitboard run`: waits for an unreachable Bot API at start instead of exiting (bot/startup.py)."""
    run(settings_, webhook=False, **kwargs)


def run(settings_: Settings, *, webhook: bool = False, http: str | None = None, **kwargs: Any) -> None:
    """`pitboard run [--webhook] [--http HOST:PORT]`: long polling, or Telegram's webhook on our own HTTP
    server (PITBOARD_LISTEN), which also serves /healthz, /readyz, /metrics and /cal/… (bot/web). In polling
    mode that surface runs only on `http` (or PITBOARD_HTTP)."""
    app = build_application(settings_, providers=True, **kwargs)
    address = settings_.listen if webhook else (http or settings_.http)
    surface = HttpSurface(app, settings_, address, webhook_mode=webhook) if address else None
    asyncio.run(
        serve(app, settings_.telegram_api_url, allowed_updates(app), http=surface, webhook=_webhook(settings_, webhook))
    )


def _webhook(settings_: Settings, webhook: bool) -> Webhook | None:
    if not webhook:
        return None
    problem = settings_.webhook_problem()
    if problem or settings_.webhook_url is None or settings_.webhook_secret is None:
        raise StartupError(problem or "webhook settings missing")
    return Webhook(settings_.webhook_url, settings_.webhook_secret.get_secret_value())
