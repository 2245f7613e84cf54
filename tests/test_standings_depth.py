"""/standings in depth (issue 10): past seasons, F1 constructors, the GT World Challenge Sprint and Endurance
Cups per class, IMSA classes, the gap to the leader, paging, and buttons that switch one thing and keep the rest;
end to end over HTTP against the Bot API stand-in, in English and German."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import callbacks
from bot.core.callbacks import StandingsViewAction
from bot.services.season import TableRow
from bot.services.standings import Request, Row, indices_for, page_of, view, with_gaps
from storage.store import Store
from tests.botenv import BotEnv, button_data, buttons, running_bot

EN, DE = 5001, 5002
# English that must never reach a German chat from /standings.
ENGLISH = ("No class", "Which series", "Drivers' Championship", "Constructors' Championship", "page ", "Overall")


@pytest.fixture
async def env(copy_db: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        running.standin.user(EN, first_name="Ann", language_code="en")
        running.standin.user(DE, first_name="Bea", language_code="de")
        yield running
        assert running.errors() == []


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def german(body: str) -> str:
    assert not [w for w in ENGLISH if w in body], body
    return body


def labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in buttons(message)]


async def test_a_past_f1_season_with_gap_and_season_buttons(env: BotEnv) -> None:
    reply = await env.say(EN, EN, "/standings f1 2021")
    body = text(reply)
    assert "Formula 1 2021 — Drivers' Championship" in body and "No class" not in body
    assert "Max Verstappen" in body and "395.5" in body
    hamilton = next(line for line in body.splitlines() if "Lewis Hamilton" in line)
    assert hamilton.split()[-1] == "-8"  # 395.5 - 387.5 behind the leader
    earlier = await env.press(EN, EN, reply[0], "⏪ 2020")
    assert "Formula 1 2020" in text(earlier) and "Lewis Hamilton" in text(earlier)
    later = await env.press(EN, EN, earlier[0], "2021 ⏩")
    assert "Formula 1 2021" in text(later)
    de = german(text(await env.say(DE, DE, "/standings formel 1 2021")))
    assert "Formula 1 2021 — Fahrerwertung" in de and "Abst." in de and "395,5" in de


async def test_f1_constructors_in_both_languages_and_back_to_drivers(env: BotEnv) -> None:
    reply = await env.say(EN, EN, "/standings f1 constructors")
    body = text(reply)
    assert "Formula 1 2024 — Constructors' Championship" in body and "McLaren" in body and "Team" in body
    drivers = await env.press(EN, EN, reply[0], "Drivers' Championship")
    assert "Max Verstappen" in text(drivers)
    teams = text(await env.say(EN, EN, "/standings f1 1995 teams"))
    assert "Formula 1 1995 — Constructors' Championship" in teams and "Benetton" in teams
    de = german(text(await env.say(DE, DE, "/standings f1 konstrukteure 2010")))
    assert "Formula 1 2010 — Konstrukteurswertung" in de and "Red Bull" in de


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("/standings pro", "GT World Challenge Europe 2023 — {overall} — Pro Cup"),
        ("/standings silber", "GT World Challenge Europe 2023 — {overall} — Silver Cup"),
        ("/standings endurance", "GT World Challenge Europe 2023 — Endurance Cup — "),
        ("/standings langstrecke bronze", "GT World Challenge Europe 2023 — Endurance Cup — Bronze Cup"),
    ],
)
async def test_class_and_championship_without_a_series_in_the_chat(env: BotEnv, line: str, title: str) -> None:
    assert title.format(overall="Overall") in text(await env.say(EN, EN, line))
    assert title.format(overall="Gesamtwertung") in german(text(await env.say(DE, DE, line)))


async def test_which_series_keeps_season_and_teams(env: BotEnv) -> None:
    for user, which in ((EN, "Which series?"), (DE, "Welche Serie?")):
        question = await env.say(user, user, "/standings 2021 teams")
        assert which in text(question) and "2021" in text(question)
        answer = await env.press(user, user, question[0], "Formula 1")
        body = text(answer)
        assert "Formula 1 2021" in body and "Mercedes" in body, body
        if user == DE:
            german(body)
    question = await env.say(EN, EN, "/standings teams")
    gt = await env.press(EN, EN, question[0], "GT World Challenge")
    assert "— Teams" in text(gt) and "Team" in text(gt)


async def test_gt_world_challenge_sprint_and_endurance_cups_per_class(env: BotEnv) -> None:
    sprint = await env.say(EN, EN, "/standings gtwc sprint silver")
    assert "Sprint Cup — Silver Cup" in text(sprint) and "Jordan Love" in text(sprint)
    assert "Pro-Am Cup" not in labels(sprint[0])  # the Sprint Cup has no Pro-Am class
    endurance = await env.press(EN, EN, sprint[0], "Endurance Cup")
    assert "Endurance Cup — Silver Cup" in text(endurance)  # the class is kept
    teams = await env.press(EN, EN, endurance[0], "Teams")
    assert "Endurance Cup — Silver Cup — Teams" in text(teams) and "GRT Grasser" in text(teams)
    bronze = await env.press(EN, EN, teams[0], "Bronze Cup")
    assert "Endurance Cup — Bronze Cup — Teams" in text(bronze)  # teams kept
    overall = await env.press(EN, EN, bronze[0], "Overall")
    assert "Overall — Bronze Cup — Teams" in text(overall)
    de = german(text(await env.say(DE, DE, "/standings gtwc sprint silber")))
    assert "Sprint Cup — Silver Cup" in de and "Jordan Love" in de


async def test_imsa_class_spellings(env: BotEnv) -> None:
    for line in ("/standings imsa gtd pro", "/standings GTDPRO imsa"):
        body = text(await env.say(EN, EN, line))
        assert "WeatherTech Championship — GTDPRO" in body and "Ben Barnicoat" in body
    de = german(text(await env.say(DE, DE, "/standings imsa gtd pro")))
    assert "— GTDPRO" in de and "No class" not in de


async def test_paging_beyond_25_rows_and_the_chats_driver_marked(env: BotEnv) -> None:
    await env.say(EN, EN, "/follow Klaus Bachler")
    first = await env.say(EN, EN, "/standings gtwc bronze")
    body = text(first)
    assert "page 1 of 5" in body and "◀" not in labels(first[0])
    rows = [line for line in body.split("\n") if line[1:4].strip().isdigit()]
    assert len(rows) >= 25
    second = await env.press(EN, EN, first[0], "▶")
    assert "page 2 of 5" in text(second)
    page_two = text(second)
    assert "Alex Malykhin" not in page_two  # the leader is on page 1
    assert "» 12 Klaus Bachler" in page_two  # the chat's driver, from page 1, stays in sight
    back = await env.press(EN, EN, second[0], "◀")
    assert "page 1 of 5" in text(back)
    de = german(text(await env.say(DE, DE, "/standings gtwc bronze")))
    assert "Seite 1 von 5" in de


async def test_the_chats_driver_outside_the_page_is_still_shown(env: BotEnv, store: Store) -> None:
    last = (await view(store, Request(await _series(store, "f1"), 1950), set(), set())).table.rows[-1]
    await env.say(EN, EN, f"/follow {last.name}")
    body = text(await env.say(EN, EN, "/standings f1 1950"))
    assert "page 1 of 4" in body and "»" in body and last.name[:10] in body


async def test_not_understood_shows_what_was_and_offers_buttons(env: BotEnv) -> None:
    en = await env.say(EN, EN, "/standings xyz")
    assert "I did not understand “xyz”" in text(en) and "Which series?" in text(en)
    assert len(buttons(en[0])) == 3
    de = await env.say(DE, DE, "/standings xyz 2021")
    body = german(text(de))
    assert "„xyz“ habe ich nicht verstanden" in body and "Verstanden: 2021" in body and "Welche Serie?" in body
    table = await env.say(EN, EN, "/standings f1 2021 qwerty")
    assert "I did not understand “qwerty”" in text(table) and "Formula 1 2021" in text(table)
    missing = await env.say(DE, DE, "/standings imsa 2019")
    assert "keine Saison 2019" in text(missing)
    answer = await env.press(DE, DE, missing[0], "2023")
    assert "2023" in german(text(answer))


async def test_every_table_has_the_chart_button(env: BotEnv) -> None:
    reply = await env.say(EN, EN, "/standings gtwc endurance silver teams")
    chart = callbacks.parse(button_data(reply[0], "📈 Chart"))
    assert isinstance(chart, callbacks.ChartAction)
    assert (chart.year, chart.championship, chart.class_index, chart.teams) == (2023, 2, 5, True)
    de = await env.say(DE, DE, "/standings f1 2021")
    assert isinstance(callbacks.parse(button_data(de[0], "📈 Diagramm")), callbacks.ChartAction)
    for message in (*reply, *de):
        assert all(len(data.encode()) <= 64 for _, data in buttons(message))


async def _series(store: Store, slug: str) -> Any:
    return next(s for s in await store.series.all() if s.slug == slug)


def test_the_standings_codec_is_short_and_parsed_as_untrusted() -> None:
    data = callbacks.standings_view(12345, 2023, 2, 5, True, 3)
    assert callbacks.parse(data) == StandingsViewAction(12345, 2023, 2, 5, True, 3)
    assert len(callbacks.standings_view(2**40, 2024, 50, 50, False, 500)) <= 64
    for bad in (
        "v1:sv:1:2023:0:0:x:0",
        "v1:sv:1:1800:0:0:d:0",
        "v1:sv:0:2023:0:0:d:0",
        "v1:sv:1:2023:0:0:d",
        "v1:sv:1:2023:99:0:d:0",
        "v1:sv:1:2023:0:0:d:-1",
        "v0:sv:1:2023:0:0:d:0",
    ):
        assert callbacks.parse(bad) is None, bad


def test_gap_and_pages_as_data() -> None:
    rows = with_gaps([TableRow(i + 1, f"D{i}", 100.0 - i, subject_id=i) for i in range(60)], {59})
    assert rows[0].gap is None and rows[1].gap == 1.0 and rows[59].gap == 59.0
    page, pages, shown, others = page_of(rows, 0)
    assert (page, pages, len(shown), [r.name for r in others]) == (0, 3, 25, ["D59"])
    assert page_of(rows, 9)[0] == 2 and page_of(rows, 2)[3] == []
    tied = with_gaps([TableRow(1, "A", 10.0), TableRow(1, "B", 10.0)], set())
    assert [r.gap for r in tied] == [None, None]
    assert isinstance(tied[0], Row)


def test_the_subject_needs_no_series() -> None:
    from bot.services.grammar import subject_in

    assert subject_in(["xyz", "Teams"]) == ("teams", ["xyz"])
    assert subject_in(["fahrer"]) == ("drivers", [])
    assert subject_in(["xyz"]) == (None, ["xyz"])


async def test_a_class_the_championship_lacks_is_a_note_on_its_table(env: BotEnv) -> None:
    reply = text(await env.say(EN, EN, "/standings gtwc overall pro am"))
    assert "Overall — Pro-Am Cup" in reply
    de = german(text(await env.say(DE, DE, "/standings gtwc sprint pro am")))
    assert "Keine Klasse „Pro-Am Cup“ in Sprint Cup" in de and "Sprint Cup — " in de
    over = german(text(await env.say(DE, DE, "/standings f1 pro")))
    assert "„pro“ habe ich nicht verstanden" in over and "Formula 1 2024" in over


async def test_buttons_of_another_series_keep_what_was_asked(store: Store) -> None:
    gt, f1 = await _series(store, "gtwc-europe"), await _series(store, "f1")
    assert await indices_for(store, gt, None, "endurance", "Silver Cup", True) == (2023, 2, 5, True)
    assert await indices_for(store, gt, None, "sprint", "silver cup", False) == (2023, 1, 4, False)
    assert await indices_for(store, f1, 2021, None, "Silver Cup", True) == (2021, 1, 0, True)
    shown = await view(store, Request(gt, None, None, 2, None, 5, True), set(), set())
    assert (shown.table.championship, shown.table.car_class, shown.teams) == ("Endurance Cup", "Silver Cup", True)
    assert shown.class_index_in(1) == 4 and shown.class_index_in(0) == 5
