"""/calendar and /next tell facts, not guesses (issue 10, item 3): end to end through the real bot and the Bot
API stand-in over HTTP, on a copy of the shipped store (F1 1950–2024, IMSA and GTWC Europe 2023), in English and
German, with "now" set on the clock at a moment inside a season. The store holds every result of those seasons,
so the moment, not the results, says what is raced and what is still ahead (as in a replay)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from bot.i18n import Translator
from tests.botenv import BotEnv, buttons, running_bot

EN, DE = 7101, 7102  # private chats, English and German
BERLIN = "Europe/Berlin"
GTWC_MID = datetime(2023, 7, 5, 12, 0, tzinfo=UTC)  # after Spa, before Misano (a Sprint round)
BEFORE_DETROIT = datetime(2023, 5, 20, 12, 0, tzinfo=UTC)  # IMSA Detroit has no entry list in the data
BEFORE_ZANDVOORT = datetime(2023, 10, 5, 12, 0, tzinfo=UTC)
F1_MID = datetime(2024, 6, 26, 12, 0, tzinfo=UTC)  # before the Austrian GP, a sprint weekend


@asynccontextmanager
async def bot_at(db: Path, moment: datetime, follow: tuple[str, ...] = ()) -> AsyncIterator[BotEnv]:
    """The bot with its clock at `moment`; an English and a German chat in Berlin time following `follow`."""
    async with running_bot(db, clock=ManualClock(moment)) as env:
        ids = {n.name: n.driver_id for n in await env.store.drivers.driver_names()}
        for chat, language in ((EN, "en"), (DE, "de")):
            env.standin.user(chat, first_name="Fan", language_code=language)
            await env.store.chats.ensure(chat, "private", "Fan", language)
            await env.store.chats.set_timezone(chat, BERLIN)
            for name in follow:
                await env.store.chats.follow(chat, "driver", ids[name])
        yield env
        assert env.errors() == []


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def block(body: str, start: str, end: str | None = None) -> str:
    """The lines of `body` from the one containing `start` up to (not including) the one containing `end`."""
    tail = body[body.index(start) :]
    return tail[: tail.index(end)] if end else tail


def days(language: str, first: date, last: date) -> str:
    return Translator(language).date_range(first, last)


# --- /calendar: raced rounds done with their dates, TBC only where unknown -----------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
async def test_raced_rounds_are_done_with_their_dates_and_nothing_past_is_tbc(copy_db: Path, language: str) -> None:
    chat = EN if language == "en" else DE
    async with bot_at(copy_db, GTWC_MID) as env:
        body = text(await env.say(chat, chat, "/calendar gtwc"))
    lines = body.splitlines()
    assert lines[0].startswith("GT World Challenge Europe 2023")
    done = [line for line in lines if line.startswith("✅")]
    assert [line.split(" — ")[0] for line in done] == [
        "✅ Monza",
        "✅ Brands Hatch",
        "✅ Circuit Paul Ricard 1000 km",
        "✅ CrowdStrike 24 Hours of Spa",
    ]
    assert f"✅ Monza — {days(language, date(2023, 4, 22), date(2023, 4, 23))}" in lines
    assert f"✅ CrowdStrike 24 Hours of Spa — {days(language, date(2023, 6, 30), date(2023, 7, 2))}" in lines
    # Every round ahead has its dates; only its sessions' days and times are not in the data.
    assert f"🗓 Misano — {days(language, date(2023, 7, 15), date(2023, 7, 16))}" in lines
    tbc = "day and time TBC" if language == "en" else "Tag und Uhrzeit noch offen"
    assert not any("TBC" in line or "offen" in line for line in done)
    assert ("Datum und Uhrzeit noch offen" if language == "de" else "date and time TBC") not in body
    misano = block(body, "Misano", "Nürburgring")
    race = "Race" if language == "en" else "Rennen"
    assert f"{race} 1" in misano and f"{race} 2" in misano and tbc in misano
    # A derived classification is no session on track.
    assert "combined" not in body and "kombiniert" not in body


@pytest.mark.parametrize("language", ["en", "de"])
async def test_zandvoort_has_the_same_dates_in_calendar_and_next(copy_db: Path, language: str) -> None:
    chat = EN if language == "en" else DE
    zandvoort = f"Zandvoort — {days(language, date(2023, 10, 14), date(2023, 10, 15))}"
    async with bot_at(copy_db, BEFORE_ZANDVOORT) as env:
        calendar = text(await env.say(chat, chat, "/calendar gtwc"))
        upcoming = text(await env.say(chat, chat, "/next gtwc"))
    assert f"🗓 {zandvoort}" in calendar.splitlines()
    assert zandvoort in upcoming
    assert f"✅ Barcelona — {days(language, date(2023, 9, 30), date(2023, 10, 1))}" in calendar.splitlines()
    assert "Barcelona" not in upcoming  # raced


# --- every session of an F1 weekend, in the chat's zone ----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Practice 1", "Sprint Qualifying", "Sprint", "Qualifying", "Race")),
        ("de", ("Training 1", "Sprint-Qualifying", "Sprint", "Qualifying", "Rennen")),
    ],
)
async def test_f1_weekend_sessions_are_listed_in_calendar_and_next(
    copy_db: Path, language: str, words: tuple[str, ...]
) -> None:
    chat = EN if language == "en" else DE
    practice, shootout, sprint, qualifying, race = words
    async with bot_at(copy_db, F1_MID, follow=("Max Verstappen",)) as env:
        calendar = text(await env.say(chat, chat, "/calendar f1"))
        upcoming = text(await env.say(chat, chat, "/next f1"))
    lines = calendar.splitlines()
    assert lines[0] == f"Formula 1 2024 ({BERLIN})"
    assert f"✅ Spanish Grand Prix — {days(language, date(2024, 6, 21), date(2024, 6, 23))}" in lines
    assert sum(line.startswith("✅") for line in lines) == 10  # rounds 1–10 raced on 26 June
    austria = block(calendar, "Austrian Grand Prix", "British Grand Prix")
    t = Translator(language)
    # The Red Bull Ring's times in Berlin (both CEST): 12:30, 16:30 Friday, 12:00, 16:00 Saturday, 15:00 Sunday.
    friday, saturday, sunday = (t.date_range(date(2024, 6, d), date(2024, 6, d)) for d in (28, 29, 30))
    assert f"{friday}: {practice} 12:30 · {shootout} 16:30" in austria
    assert f"{saturday}: {sprint} 12:00 · {qualifying} 16:00" in austria
    assert f"{sunday}: {race} 15:00" in austria
    assert f"{t('Practice')} 3" in block(calendar, "British Grand Prix", "Hungarian Grand Prix")
    assert "TBC" not in calendar and "offen" not in calendar
    # /next: the same weekend, the same sessions and times, with the zone, and the chat's driver's own car.
    first = block(upcoming, "Austrian Grand Prix", "British Grand Prix")
    assert f"{days(language, date(2024, 6, 28), date(2024, 6, 30))}" in first
    assert f"{practice} 12:30 CEST · {shootout} 16:30 CEST" in first and f"{race} 15:00 CEST" in first
    assert "Max Verstappen — #1 · Red Bull" in first
    assert "Spanish Grand Prix" not in upcoming


# --- crews: each round its own, never another round's -------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_sprint_round_never_gets_an_endurance_crew(copy_db: Path, language: str) -> None:
    """Bachler drove the Endurance rounds with Sturm and Malykhin, Hockenheim (Sprint) with Malykhin only, and
    was not entered at Misano (Sprint). /next used to give every round without his entry the crew of his last
    round of the season (Barcelona: Sturm, Malykhin)."""
    chat = EN if language == "en" else DE
    async with bot_at(copy_db, GTWC_MID, follow=("Klaus Bachler",)) as env:
        series = text(await env.say(chat, chat, "/next gtwc"))
        mine = text(await env.say(chat, chat, "/next"))
    misano = block(series, "Misano", "Nürburgring")
    nurburgring = block(series, "Nürburgring", "Hockenheim")
    hockenheim = block(series, "Hockenheim")
    absent = "not on the entry list" if language == "en" else "nicht auf der Nennliste"
    assert f"Klaus Bachler — {absent}" in misano and "Sturm" not in misano and "Malykhin" not in misano
    with_ = "with" if language == "en" else "mit"
    car = "#911 · Pure Rxcing · Porsche 911 GT3 R (992) (Bronze Cup)"
    assert f"Klaus Bachler — {car} {with_} Joel Sturm, Alex Malykhin" in nurburgring
    assert f"Klaus Bachler — {car} {with_} Alex Malykhin" in hockenheim and "Sturm" not in hockenheim
    # The chat's own /next: Misano, where its driver does not race, is not among its weekends.
    assert "Misano" not in mine and "Chevrolet Grand Prix" in mine and "Nürburgring" in mine


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_round_without_an_entry_list_shows_team_and_car_and_crew_not_yet_announced(
    copy_db: Path, language: str
) -> None:
    """IMSA's Detroit round has no results folder, so no entry list: Bachler's team and car of the season, no
    number, no class, no co-drivers (Pilet drove the rounds before)."""
    chat = EN if language == "en" else DE
    async with bot_at(copy_db, BEFORE_DETROIT, follow=("Klaus Bachler",)) as env:
        body = text(await env.say(chat, chat, "/next"))
    # Paul Ricard's first day starts earlier (in France) than Detroit's race day (in Michigan), both 3 June.
    detroit = block(body, "Chevrolet Detroit Sports Car Classic", "Six Hours of The Glen")
    announced = "crew not yet announced" if language == "en" else "Fahrerbesetzung noch nicht bekannt"
    assert f"Klaus Bachler — Pfaff Motorsports · Porsche 911 GT3 R (992) ({announced})" in detroit
    assert "Pilet" not in detroit and "#9" not in detroit
    # The race's day is known, its time is not.
    tbc = "time TBC" if language == "en" else "Uhrzeit noch offen"
    race = "Race" if language == "en" else "Rennen"
    saturday = Translator(language).date_range(date(2023, 6, 3), date(2023, 6, 3))
    assert f"{saturday}: {race}, {tbc}" in detroit
    # Paul Ricard's entry list is out: his own car and crew of that round.
    paul_ricard = block(body, "Circuit Paul Ricard", "Chevrolet Detroit Sports Car Classic")
    assert "#911 · Pure Rxcing" in paul_ricard and "Joel Sturm, Alex Malykhin" in paul_ricard


# --- /calendar f1 2021: series and season in any order; season buttons keep the series -----------------------


@pytest.mark.parametrize("language", ["en", "de"])
async def test_calendar_of_a_past_season_and_its_season_buttons(copy_db: Path, language: str) -> None:
    chat = EN if language == "en" else DE
    async with bot_at(copy_db, F1_MID) as env:
        reply = await env.say(chat, chat, "/calendar f1 2021")
        assert text(await env.say(chat, chat, "/calendar 2021 formel 1")) == text(reply)
        lines = text(reply).splitlines()
        assert lines[0] == f"Formula 1 2021 ({BERLIN})"
        assert len(lines) == 23 and all(line.startswith("✅") for line in lines[1:])  # 22 rounds, all raced
        assert f"✅ Abu Dhabi Grand Prix — {days(language, date(2021, 12, 10), date(2021, 12, 12))}" in lines
        assert [label for label, _ in buttons(reply[-1])] == ["◀ 2020", "2022 ▶"]
        later = await env.press(chat, chat, reply[-1], "2022")
        assert text(later).startswith("Formula 1 2022")
        assert [label for label, _ in buttons(later[-1])] == ["◀ 2021", "2023 ▶"]
        # A season alone, in a chat that follows nothing: the series is asked for, the season kept.
        ask = await env.say(chat, chat, "/calendar 1999")
        assert ("Which series?" if language == "en" else "Welche Serie?") in text(ask)
        chosen = await env.press(chat, chat, ask[-1], "Formula 1 1999")
        assert text(chosen).startswith("Formula 1 1999")
        # A season the store does not hold: the nearest it holds, as buttons.
        missing = await env.say(chat, chat, "/calendar f1 2031")
        assert "2031" in text(missing) and [label for label, _ in buttons(missing[-1])] == ["2022", "2023", "2024"]


async def test_next_with_an_unknown_series_asks_with_buttons_in_german(copy_db: Path) -> None:
    async with bot_at(copy_db, F1_MID) as env:
        reply = await env.say(DE, DE, "/next nascar")
        assert "Ich kenne keine Serie „nascar“" in text(reply) and "Welche Serie?" in text(reply)
        chosen = await env.press(DE, DE, reply[-1], "Formula 1")
        assert "Austrian Grand Prix" in text(chosen) and re.search(r"Rennen 15:00 CEST", text(chosen))
