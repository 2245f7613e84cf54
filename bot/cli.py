"""`pitboard` command line: import data, show standings, results and drivers."""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from bot.core.clock import SYSTEM, Clock
from bot.core.records import ChangeSet, ImportBatch
from bot.core.redact import excepthook, redact, register_secret
from bot.i18n import LANGUAGES
from bot.ingest.definitions import Applied, grouped
from bot.ingest.fetch import FetchLimits, fetch_all, is_url, shown_url
from bot.ingest.importers import FORMATS, load_paths
from bot.ingest.importers.table import ImportFailure
from bot.ingest.importing import ImportOutcome, apply_import, news_age_from_env
from bot.ingest.providers.client import ProviderError, cache_beside
from bot.ingest.providers.f1_sync import SyncReport, make_client, sync_season
from bot.ingest.urls import load_fetched
from bot.services.classification import ResultsTable, results_table
from bot.services.search import search_drivers
from bot.services.season import NotFound, StandingsTable, standings_table
from bot.settings import Settings, SettingsProblem, load_settings
from storage.copy import CopyFailed, CountMismatch, TableCount, copy_sqlite_to_postgres
from storage.database import DB_ERRORS, is_postgres
from storage.providers import ProviderStatus
from storage.removals import RemovalRefused
from storage.store import Store
from storage.writer import ImportConflict

app = typer.Typer(
    help="Pitboard: race updates, standings and results.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def database_path() -> str:
    # The same PITBOARD_DATABASE as `pitboard run`: from the environment or from .env.
    return _settings().database


def _run(make: Callable[[Store], Awaitable[T]]) -> T:
    async def go() -> T:
        store = await Store.open(database_path())
        try:
            return await make(store)
        finally:
            await store.close()

    try:
        return asyncio.run(go())
    except NotFound as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None


def _fmt_points(points: float) -> str:
    return f"{points:g}"


def _print_changes(changes: ChangeSet, silent_races: int = 0, applied: list[Applied] | None = None) -> None:
    if not changes.changed:
        out.print("Nothing changed: the store already holds these files.")
    else:
        parts = [
            (changes.events_added, "events added"),
            (changes.events_updated, "events updated"),
            (changes.sessions_added, "sessions added"),
            (changes.sessions_updated, "sessions updated"),
            (changes.entries_added, "entries added"),
            (changes.entries_updated, "entries updated"),
            (changes.results_added, "results added"),
            (changes.results_updated, "results corrected"),
            (changes.drivers_added, "new drivers"),
            (changes.teams_added, "new teams"),
            (changes.standings_written, "official standings rows"),
            (changes.championships_written, "championship rules"),
        ]
        out.print("Imported: " + ", ".join(f"{n} {label}" for n, label in parts if n) + ".")
        moved = [c for c in changes.session_changes if c.what in ("moved", "cancelled")]
        for change in moved[:20]:
            out.print(
                f"  {change.event_name} {change.session_name}: {change.what}"
                f" {change.old_start_utc or 'TBC'} → {change.new_start_utc or '—'}",
                markup=False,
            )
    if silent_races:
        out.print(
            f"Results for {silent_races} past race{'s' if silent_races != 1 else ''} stored without alerts.",
            markup=False,
        )
    for group in grouped(applied or []):
        out.print(group.describe()[0].upper() + group.describe()[1:] + ".", markup=False)
    for note in changes.notes:
        out.print(f"  note: {note}", markup=False)


@app.command("import")
def import_(
    sources: Annotated[list[str], typer.Argument(help="Files, folders or http(s) URLs to import.")],
    series: Annotated[str | None, typer.Option(help="Series slug, e.g. imsa, gtwc-europe, wec.")] = None,
    season: Annotated[int | None, typer.Option(help="Season year, where files do not say.")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Store without alerting anyone (a back-fill of history).")
    ] = False,
    allow_removals: Annotated[
        bool,
        typer.Option(
            "--allow-removals", help="Apply a version that removes much of what is stored (refused otherwise)."
        ),
    ] = False,
    series_name: Annotated[
        str | None, typer.Option("--series-name", help="The series' name, for a new series (ICS calendars).")
    ] = None,
    filter_text: Annotated[
        str | None,
        typer.Option(
            "--filter", help='ICS: import only events whose summary holds this text, e.g. "(NASCAR Cup Series)".'
        ),
    ] = None,
) -> None:
    """Import result files, calendars (native JSON, ICS) and rules, from disk or by URL. All files land together
    or none does."""
    try:
        max_age = news_age_from_env()
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    limits = _fetch_limits() if any(is_url(s) for s in sources) else FetchLimits()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("reading", total=len(sources) + 1)
        try:
            batches = _load_sources(
                sources,
                series,
                season,
                fmt,
                limits,
                lambda: progress.advance(task),
                series_name=series_name,
                filter_text=filter_text,
            )
            progress.update(task, description="writing")

            async def write(store: Store) -> ImportOutcome:
                return await apply_import(
                    store, batches, datetime.now(UTC), quiet=quiet, allow_removals=allow_removals, max_age=max_age
                )

            outcome = _run(write)
            progress.advance(task)
        except (ImportFailure, ImportConflict, RemovalRefused) as exc:
            err.print(f"Import failed, nothing was changed: {exc}", markup=False)
            raise typer.Exit(1) from None
    _print_changes(outcome.changes, outcome.silent_races, outcome.applied)


def _load_sources(
    sources: list[str],
    series: str | None,
    season: int | None,
    fmt: str,
    limits: FetchLimits,
    advance: Callable[[], None],
    series_name: str | None = None,
    filter_text: str | None = None,
) -> list[ImportBatch]:
    """Every source read (URLs fetched first, all of them) before anything is written, in the given order."""
    urls = [s for s in sources if is_url(s)]
    fetched = iter(asyncio.run(fetch_all(urls, limits)) if urls else [])
    batches: list[ImportBatch] = []
    for source in sources:
        if is_url(source):
            batches += load_fetched(
                [next(fetched)], series, season, fmt, series_name=series_name, filter_text=filter_text
            )
        else:
            batches += load_paths([Path(source)], series, season, fmt, series_name=series_name, filter_text=filter_text)
        advance()
    return batches


def _fetch_limits() -> FetchLimits:
    return FetchLimits(timeout=_settings().fetch_timeout)


@app.command()
def watch(
    urls: Annotated[list[str], typer.Argument(help="http(s) URLs of timing files to poll.")],
    series: Annotated[str | None, typer.Option(help="Series slug, e.g. gtwc-europe, imsa.")] = None,
    season: Annotated[int | None, typer.Option(help="Season year, where the files do not say.")] = None,
    every: Annotated[float, typer.Option(help="Seconds between polls of a URL.", min=1)] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="Poll every URL once and exit (for cron).")] = False,
) -> None:
    """Poll timing files during a race weekend and import what changed, until interrupted (Ctrl-C)."""
    from bot.ingest.providers.watch import PollOutcome, Watch
    from bot.startup import configure_logging

    # Each poll's outcome is printed below; the log adds only what no outcome says (a bug), redacted.
    configure_logging(logging.ERROR)
    bad = [u for u in urls if not is_url(u)]
    if bad:
        err.print(f"Not an http(s) URL: {shown_url(bad[0])}", markup=False)
        raise typer.Exit(2)
    try:
        max_age = news_age_from_env()
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    limits = _fetch_limits()

    def report(outcome: PollOutcome) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        if outcome.result == "failed":
            err.print(f"{stamp} {outcome.error}", markup=False)
        elif outcome.changed and outcome.changes is not None:
            out.print(f"{stamp} {outcome.url}:", markup=False)
            _print_changes(outcome.changes, outcome.silent_races)
        else:
            out.print(f"{stamp} {outcome.url}: {outcome.result}", markup=False)

    async def go(store: Store) -> int:
        watcher = Watch(store, urls, series=series, season=season, every=every, limits=limits, max_age=max_age)
        if not once:
            await watcher.run(report)
            return 0
        try:
            await watcher.announce()
            outcomes = await watcher.poll_due()
        finally:
            await watcher.close()
        for outcome in outcomes:
            report(outcome)
        return 1 if any(o.result == "failed" for o in outcomes) else 0

    try:
        code = _run(go)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


@app.command()
def status() -> None:
    """Providers and watched URLs: last success, last error, next run."""

    async def query(store: Store) -> list[ProviderStatus]:
        return await store.providers.all()

    rows = _run(query)
    if not rows:
        out.print("No providers have run yet (pitboard watch, or PITBOARD_WATCH_URLS for the bot).")
        return
    for row in rows:
        # Plain lines, not a table: URLs are long, and a wrapped URL cannot be copied.
        out.print(row.provider, markup=False, overflow="ignore", crop=False)
        out.print(
            f"  last success {row.last_success_utc or 'never'} · next run {row.next_run_utc or '—'}"
            f" · {row.runs} runs, {row.failures} failed, {row.imports} with changes",
            markup=False,
        )
        if row.last_error:
            out.print(
                f"  last error {row.last_error_utc}: {row.last_error}", markup=False, overflow="ignore", crop=False
            )


async def sync_f1(
    database: str,
    url: str,
    season: int | None,
    clock: Clock = SYSTEM,
    *,
    allow_removals: bool = False,
    max_age: timedelta | None = None,
) -> int:
    """`pitboard sync f1`: one season from Jolpica into the store, with a progress bar; the exit code."""
    year = season or clock.now().year
    client = make_client(url, clock, cache_beside(database, "jolpica"))
    store = await Store.open(database, clock=clock)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} steps, {task.fields[requests]} requests"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(f"F1 {year}", total=None, requests=0)

            def step(what: str) -> None:
                progress.update(task, advance=1, description=f"F1 {year}: {what}", requests=client.http.usage.requests)

            report: SyncReport = await sync_season(
                store,
                client,
                year,
                clock.now(),
                progress=step,
                allow_removals=allow_removals,
                max_age=max_age or news_age_from_env(),
            )
    except (ProviderError, ImportConflict, RemovalRefused) as exc:
        err.print(f"Sync failed, nothing was changed: {exc}", markup=False)
        return 1
    finally:
        await store.close()
        await client.http.close()
    _print_changes(report.outcome.changes, report.outcome.silent_races, report.outcome.applied)
    usage = report.usage
    extra = [f"{n} × {status}" for status, n in sorted(usage.statuses.items()) if status != 200]
    out.print(
        f"Jolpica: {usage.requests} requests ({usage.not_modified} not modified"
        f"{', ' + ', '.join(extra) if extra else ''}) of the 500/hour budget;"
        f" waited {usage.waited_seconds:.1f} s for limits and retries.",
        markup=False,
    )
    return 0


@app.command()
def sync(
    series: Annotated[str, typer.Argument(help="The series to sync: f1 (from Jolpica-F1).")],
    season: Annotated[int | None, typer.Option(help="Season year (default: this year).")] = None,
    allow_removals: Annotated[
        bool,
        typer.Option(
            "--allow-removals", help="Apply a version that removes much of what is stored (refused otherwise)."
        ),
    ] = False,
) -> None:
    """Fetch a season from its provider (F1: Jolpica-F1, PITBOARD_JOLPICA_URL) into the store, once."""
    if series.casefold() != "f1":
        err.print(f"No provider for {series!r}: only f1 syncs (from Jolpica-F1).", markup=False)
        raise typer.Exit(2)
    settings = _settings()
    try:
        max_age = news_age_from_env()
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    code = asyncio.run(
        sync_f1(settings.database, settings.jolpica_url, season, allow_removals=allow_removals, max_age=max_age)
    )
    raise typer.Exit(code)


def _print_standings(tables: list[StandingsTable], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(
            ["position", "team" if tables[0].subject == "teams" else "driver", "points", "wins", "class", "source"]
        )
        for table in tables:
            for row in table.rows:
                writer.writerow(
                    [
                        row.position or "",
                        row.name,
                        _fmt_points(row.points),
                        "" if row.wins is None else row.wins,
                        table.car_class,
                        table.source,
                    ]
                )
        return
    for table in tables:
        title = f"{table.series_name} {table.year} — {table.championship}"
        if table.car_class:
            title += f" — {table.car_class}"
        subject = "Team" if table.subject == "teams" else "Driver"
        grid = Table(title=title, caption=f"{table.source}, after {table.after_event or '—'}", title_justify="left")
        grid.add_column("Pos", justify="right")
        grid.add_column(subject)
        grid.add_column("Cars" if table.source == "computed" else "Wins")
        grid.add_column("Points", justify="right")
        for row in table.rows:
            extra = ", ".join(f"#{n}" for n in row.numbers) if table.source == "computed" else str(row.wins or 0)
            grid.add_row(str(row.position or "—"), row.name, extra, _fmt_points(row.points))
        out.print(grid)


@app.command()
def standings(
    series: Annotated[str, typer.Argument(help="Series slug or name, e.g. f1, imsa, gtwc-europe.")],
    season: Annotated[int | None, typer.Option(help="Season year (default: the latest).")] = None,
    car_class: Annotated[str | None, typer.Option("--class", help="Class, e.g. 'Bronze Cup', GTDPRO.")] = None,
    teams: Annotated[bool, typer.Option("--teams", help="Teams instead of drivers.")] = False,
    championship: Annotated[str | None, typer.Option(help="e.g. sprint, endurance (default: overall).")] = None,
    computed: Annotated[
        bool, typer.Option("--computed", help="The engine's table even where an official one exists.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or csv.")] = "table",
) -> None:
    """Championship standings."""
    if fmt not in ("table", "csv"):
        err.print("--format must be table or csv")
        raise typer.Exit(2)

    async def query(store: Store) -> list[StandingsTable]:
        return await standings_table(store, series, season, car_class, teams, championship, computed)

    _print_standings(_run(query), fmt)


def _print_results(table: ResultsTable, fmt: str) -> None:
    status_words = {"classified": "", "not_classified": "NC", "dnf": "DNF", "dns": "DNS", "dsq": "DSQ"}
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "position",
                "class_position",
                "number",
                "class",
                "team",
                "drivers",
                "status",
                "laps",
                "time",
                "gap",
                "best_lap",
                "detail",
            ]
        )
        for r in table.rows:
            writer.writerow(
                [
                    r.position or "",
                    r.class_position or "",
                    r.number,
                    r.car_class or "",
                    r.team or "",
                    "; ".join(r.crew),
                    r.status,
                    "" if r.laps is None else r.laps,
                    r.time_text or "",
                    r.gap_text or "",
                    r.best_lap_text or "",
                    r.status_detail or "",
                ]
            )
        return
    title = f"{table.series_name} {table.year} — {table.event_name} — {table.session_name}"
    if table.car_class:
        title += f" — {table.car_class}"
    grid = Table(title=title, caption=f"results {table.results_status}", title_justify="left")
    for name, justify in (
        ("Pos", "right"),
        ("Cls", "right"),
        ("#", "right"),
        ("Class", "left"),
        ("Team", "left"),
        ("Drivers", "left"),
        ("Laps", "right"),
        ("Gap / status", "left"),
    ):
        grid.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in table.rows:
        status = status_words.get(r.status, r.status)
        gap = r.gap_text or r.time_text or ""
        shown = f"{status} {r.status_detail or ''}".strip() if status else gap
        grid.add_row(
            str(r.position or "—"),
            str(r.class_position or ""),
            r.number,
            r.car_class or "",
            r.team or "",
            ", ".join(r.crew),
            "" if r.laps is None else str(r.laps),
            shown,
        )
    out.print(grid)


@app.command("export-ics")
def export_ics(
    series: Annotated[list[str] | None, typer.Option(help="Series slug or name (repeatable).")] = None,
    season: Annotated[int | None, typer.Option(help="Season year (default: every season).")] = None,
    driver: Annotated[str | None, typer.Option(help="A driver: the series they race in.")] = None,
    language: Annotated[str, typer.Option(help="Language of the titles: en or de.")] = "en",
    reminders: Annotated[
        str, typer.Option(help="Alarm lead times in minutes, comma-separated (empty: none).")
    ] = "1440,60",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")] = None,
) -> None:
    """Write sessions as an iCalendar (.ics) file, with alarms: the same file /ics sends a chat."""
    from bot.i18n import Translator
    from bot.render.ics import render_ics

    try:
        leads = [int(m) for m in reminders.split(",") if m.strip()]
    except ValueError:
        err.print(f"--reminders takes minutes such as 1440,60, not {reminders!r}", markup=False)
        raise typer.Exit(2) from None

    async def collect(store: Store) -> bytes:
        slugs: list[str] = []
        for wanted in series or ():
            found = await store.series.find(wanted)
            if found is None:
                raise NotFound("No series {name!r} in the store.", name=wanted)
            slugs.append(found.slug)
        if driver:
            matches = await search_drivers(store, driver, limit=1)
            if not matches:
                raise NotFound("No driver {name!r} in the store.", name=driver)
            slugs.extend(e.series_slug for e in await store.drivers.driver_entries(matches[0].driver_id))
        if not series and not driver:
            slugs = [s.slug for s in await store.series.all()]
        sessions = await store.schedule.calendar_sessions(sorted(set(slugs)), season)
        names = sorted({s.series_name for s in sessions})
        return render_ics(sessions, Translator(language), leads, name=" · ".join(names) or "Pitboard")

    data = _run(collect)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        err.print(f"Wrote {output}", markup=False)


@app.command()
def results(
    series: Annotated[str, typer.Argument(help="Series slug or name.")],
    event: Annotated[str, typer.Option(help="Part of the event's name, circuit or key, e.g. barcelona.")],
    season: Annotated[int | None, typer.Option(help="Season year (default: the latest).")] = None,
    session: Annotated[str, typer.Option(help="race, qualifying, race-1, combined-qualifying, …")] = "race",
    car_class: Annotated[str | None, typer.Option("--class", help="Only this class.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or csv.")] = "table",
) -> None:
    """One session's classification."""
    if fmt not in ("table", "csv"):
        err.print("--format must be table or csv")
        raise typer.Exit(2)

    async def query(store: Store) -> ResultsTable:
        return await results_table(store, series, season, event, session, car_class)

    _print_results(_run(query), fmt)


@app.command()
def drivers(
    name: Annotated[str, typer.Argument(help="A name or part of one; accents and case do not matter.")],
) -> None:
    """Find drivers and show where they raced."""

    async def query(store: Store) -> None:
        matches = await search_drivers(store, name)
        if not matches:
            out.print(f"No driver matches {name!r}.", markup=False)
            raise typer.Exit(1)
        for match in matches:
            entries = await store.drivers.driver_entries(match.driver_id)
            sources = await store.drivers.driver_sources(match.driver_id)
            seasons = sorted({(e.series_slug, e.year) for e in entries})
            summary = ", ".join(f"{s} {y}" for s, y in seasons[-6:]) or "no entries"
            out.print(f"[bold]{match.name}[/bold] (id {match.driver_id}) — {summary}")
            for e in entries[-6:]:
                mates = [c for c in e.crew if c != match.name]
                with_text = f" with {', '.join(mates)}" if mates else ""
                out.print(
                    f"   {e.year} {e.event_name}: #{e.number} {e.team or ''} {e.car or ''}"
                    f" {f'({e.car_class})' if e.car_class else ''}{with_text}",
                    markup=False,
                )
            if sources:
                out.print("   ids: " + ", ".join(f"{s.source}:{s.source_id}" for s in sources[:6]), markup=False)

    _run(query)


@app.command("merge-drivers")
def merge_drivers(keep: int, other: int) -> None:
    """Admin: two driver ids are one person; OTHER is folded into KEEP."""

    async def run(store: Store) -> None:
        await store.drivers.merge_drivers(keep, other)

    try:
        _run(run)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    out.print(f"Merged driver {other} into {keep}.")


@app.command("split-driver")
def split_driver(
    driver_id: int, series: Annotated[str, typer.Option(help="The series whose entries are someone else.")]
) -> None:
    """Admin: the driver's entries in SERIES belong to a different person of the same name."""

    async def run(store: Store) -> int:
        return await store.drivers.split_driver(driver_id, series)

    try:
        new_id = _run(run)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    out.print(f"Split: the {series} entries now belong to driver {new_id}.")


@app.command()
def demo(
    script: Annotated[bool, typer.Option("--script", help="Run the scripted tour and exit.")] = False,
    language: Annotated[
        str,
        typer.Option(
            help="The language of your demo chat, as Telegram would tell it: en or de (German: --language de)."
        ),
    ] = "en",
    data: Annotated[
        Path | None,
        typer.Option(
            help="A folder laid out like Pitboard's shared data: gtwc-europe/2023, and where present f1-ergast and"
            " imsa/2023 (default: the data that ships with Pitboard)."
        ),
    ] = None,
) -> None:
    """Offline: the real bot against the local Bot API stand-in, replaying 1 October 2023 with F1, IMSA and GT World
    Challenge Europe loaded; chat in the console (in German with --language de)."""
    from bot.demo import DEMO_DATA, run_demo
    from bot.startup import configure_logging

    configure_logging(logging.ERROR)  # the demo's stand-in token is not secret, but its logs pass the same filter
    data = data or DEMO_DATA
    if not (data / "gtwc-europe" / "2023").is_dir():
        err.print(f"The real race data is expected in {data}.", markup=False)
        raise typer.Exit(1)
    if language not in LANGUAGES:
        err.print(f"--language: one of {', '.join(LANGUAGES)}.", markup=False)
        raise typer.Exit(2)
    raise typer.Exit(asyncio.run(run_demo(PROJECT_ROOT, data, script, language)))


@app.command()
def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Receive updates on a webhook (PITBOARD_WEBHOOK_URL, PITBOARD_WEBHOOK_SECRET) served on"
            " PITBOARD_LISTEN with /healthz, /readyz, /metrics and /cal/…, instead of long polling.",
        ),
    ] = False,
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            metavar="HOST:PORT",
            help="Long polling: serve /healthz, /readyz, /metrics and /cal/… on HOST:PORT (or PITBOARD_HTTP).",
        ),
    ] = None,
) -> None:
    """Run the bot (long polling, or --webhook) with the settings from the environment or .env."""
    from bot.app import run as run_bot
    from bot.settings import parse_address
    from bot.startup import StartupError, configure_logging

    settings = _settings()
    if settings.telegram_bot_token is None:
        err.print("TELEGRAM_BOT_TOKEN is not set (see .env.example). Without a token, try: pitboard demo")
        raise typer.Exit(2)
    if webhook and (problem := settings.webhook_problem()):
        err.print(f"pitboard run: {problem}", markup=False)
        raise typer.Exit(2)
    if http is not None:
        try:
            parse_address(http)
        except ValueError as exc:
            err.print(f"--http {exc}", markup=False)
            raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    try:
        run_bot(settings, webhook=webhook, http=http)
    except StartupError as exc:
        err.print(f"pitboard run: {exc}", markup=False)
        raise typer.Exit(1) from None
    except Exception as exc:
        # Whatever stops the bot is told on stderr redacted: HTTP libraries quote the URL, which holds the token.
        logging.getLogger("pitboard").error("stopped by an error", exc_info=exc)
        err.print(f"pitboard run stopped: {redact(f'{type(exc).__name__}: {exc}')}", markup=False)
        raise typer.Exit(1) from None


@app.command("migrate-db")
def migrate_db(
    sqlite_store: Annotated[Path, typer.Argument(help="The SQLite store to copy (its file path).")],
    postgres_url: Annotated[str, typer.Argument(help="The target: postgresql://user:password@host/database.")],
    force: Annotated[
        bool, typer.Option("--force", help="Empty the target first if it already holds data (all of it is lost).")
    ] = False,
) -> None:
    """Copy an SQLite store into PostgreSQL in one transaction, verified by row counts per table."""
    if not is_postgres(postgres_url):
        err.print("The target must be a postgresql:// URL.", markup=False)
        raise typer.Exit(2)
    register_secret(urlsplit(postgres_url).password)
    started = time.monotonic()
    try:
        counts = asyncio.run(copy_sqlite_to_postgres(sqlite_store, postgres_url, force=force))
    except CountMismatch as exc:
        _print_counts(exc.counts)
        err.print(f"Not copied: {exc}", markup=False)
        raise typer.Exit(1) from None
    except CopyFailed as exc:
        err.print(f"Not copied: {exc}", markup=False)
        raise typer.Exit(1) from None
    except DB_ERRORS as exc:
        # The URL may hold a password: the message is redacted like every error this command prints.
        err.print(f"Not copied: {redact(str(exc))}", markup=False)
        raise typer.Exit(1) from None
    _print_counts(counts)
    out.print(
        f"Copied {sum(c.postgres_rows for c in counts)} rows in {len(counts)} tables "
        f"in {time.monotonic() - started:.1f} s; row counts match.",
        markup=False,
    )


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write (refused if it exists, unless --force).")],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")] = False,
) -> None:
    """A consistent copy of the SQLite store while the bot keeps running (SQLite's online backup API); for
    PostgreSQL, the pg_dump command to use instead."""
    from storage.backup import BackupError, backup_sqlite, pg_dump_command, pg_restore_command
    from storage.database import is_postgres

    database = database_path()
    if is_postgres(database):
        err.print(
            "PITBOARD_DATABASE is a PostgreSQL server: back it up with PostgreSQL's own tools, not with"
            " pitboard backup. The password is not shown; pg_dump reads it from PGPASSWORD or ~/.pgpass.",
            markup=False,
        )
        err.print(f"  backup:  {pg_dump_command(database, path)}", markup=False)
        err.print(f"  restore: {pg_restore_command(database, path)}", markup=False)
        raise typer.Exit(2)
    try:
        report = asyncio.run(backup_sqlite(database, path, force=force))
    except BackupError as exc:
        err.print(f"Backup failed, {path} was not written: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(
        f"Backed up {database} to {report.path}: {report.size / 1024 / 1024:.1f} MiB ({report.size} bytes),"
        f" {report.pages} pages of {report.page_size} bytes, schema version {report.schema_version},"
        " integrity_check ok.",
        markup=False,
    )


def _print_counts(counts: list[TableCount]) -> None:
    table = Table("table", "SQLite rows", "PostgreSQL rows", "", box=None)
    for c in counts:
        mark = "" if c.sqlite_rows == c.postgres_rows else "✗"
        table.add_row(c.table, str(c.sqlite_rows), str(c.postgres_rows), mark)
    out.print(table)


def _settings() -> Settings:
    """The settings `pitboard run` uses, or one line naming the bad setting and exit code 2."""
    try:
        return load_settings()
    except SettingsProblem as exc:
        err.print(f"Bad setting: {exc} (see .env.example)", markup=False)
        raise typer.Exit(2) from None


def main() -> None:
    try:
        app()
    except Exception as exc:
        # Whatever escapes a command is printed without the token (HTTP errors quote URLs that hold it).
        # Not sys.excepthook: typer installs its own over it.
        excepthook(type(exc), exc, exc.__traceback__)
        sys.exit(1)


if __name__ == "__main__":
    main()
