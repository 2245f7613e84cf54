"""/results in depth (issue 10): every question from the issue's findings answered end to end — the real bot over
HTTP against the Bot API stand-in, on a copy of the shipped data (F1 1950–2024, IMSA 2023, GTWC Europe 2023) —
in English and German, and the results-view buttons (sessions, classes, pages, previous/next event)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import render
from bot.core import callbacks
from bot.core.callbacks import MAX_RESULTS_PAGE, ResultsViewAction
from bot.i18n import Translator
from bot.ingest.importers import load_paths
from bot.services.results import results_view
from storage.store import Store
from tests.botenv import BotEnv, button_data, buttons, running_bot

ANA, BEN = 1101, 1102  # English, German
GT_FAN_EN, GT_FAN_DE = 1103, 1104  # follow GT World Challenge Europe


@pytest.fixture
async def env(copy_db: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        for user, language in ((ANA, "en"), (BEN, "de"), (GT_FAN_EN, "en"), (GT_FAN_DE, "de")):
            running.standin.user(user, first_name="Fan", language_code=language)
        yield running
        assert running.errors() == []


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in buttons(message)]


async def ask(env: BotEnv, user: int, command: str) -> dict[str, Any]:
    replies = await env.say(user, user, command)
    assert len(replies) == 1, replies
    return replies[0]


async def press(env: BotEnv, user: int, message: dict[str, Any], label: str) -> dict[str, Any]:
    edited = await env.press(user, user, message, label)
    assert len(edited) == 1, (label, edited)
    return edited[0]


def assert_all_buttons_fit(message: dict[str, Any]) -> None:
    for _, data in buttons(message):
        assert len(data.encode()) <= 64
        assert callbacks.parse_results_view(data) is not None, data


# English words that must never reach a German chat from this view (the data's own names aside).
ENGLISH = re.compile(r"\b(laps?|Race|Classification|Class winners|retired|not classified|Which|Understood|after)\b")


def assert_german(body: str, data: tuple[str, ...] = ()) -> None:
    """`data`: names from the store (a team called "Nova Race"), which are shown as they are."""
    for name in sorted(data, key=len, reverse=True):
        body = body.replace(name, "")
    assert not ENGLISH.search(body), ENGLISH.search(body)


@pytest.mark.parametrize(
    ("language", "race", "expected"),
    [("en", "race 1", "Race 1"), ("de", "rennen 1", "Rennen 1")],
)
async def test_valencia_race_1_and_every_other_session_of_the_event(
    env: BotEnv, language: str, race: str, expected: str
) -> None:
    user = ANA if language == "en" else BEN
    reply = await ask(env, user, f"/results valencia {race}")
    body = reply["text"].split("\n\n🕓")[0]  # without the first reply's note on the time zone guessed (de)
    assert "GT World Challenge Europe 2023 — Valencia" in body and expected in body
    assert "#88 Raffaele Marciello, Timur Boguslavskiy" in body  # the Race 1 winner
    assert "24" not in labels(reply)  # a view, not a list of the season's events
    assert_all_buttons_fit(reply)
    # /results valencia alone: Race 1, with buttons to Race 2 and both qualifyings.
    alone = await ask(env, user, "/results valencia")
    assert alone["text"] == body
    assert {"Q1", "Q2", f"• {expected}", expected.replace("1", "2")} <= set(labels(alone))
    race_2 = await press(env, user, alone, expected.replace("1", "2"))
    assert expected.replace("1", "2") in race_2["text"] and "Bronze Cup: #911 Pure Rxcing" in race_2["text"]
    quali = await press(env, user, race_2, "Q2")
    assert "Qualifying 2" in quali["text"]
    if language == "de":
        for message in (reply, race_2, quali):
            assert_german(message["text"])


@pytest.mark.parametrize("language", ["en", "de"])
async def test_f1_monaco_qualifying_and_past_seasons(env: BotEnv, language: str) -> None:
    user = ANA if language == "en" else BEN
    quali = await ask(env, user, "/results f1 monaco qualifying")
    assert "Formula 1 2024 — Monaco Grand Prix" in quali["text"] and "Qualifying" in quali["text"]
    assert "🥇 #16 Charles Leclerc" in quali["text"]
    past = await ask(env, user, "/results f1 1995 monaco")
    body = past["text"]
    assert "Formula 1 1995 — Monaco Grand Prix" in body
    assert "🥇 #1 Michael Schumacher — Benetton" in body and "1:53:11.258" in body
    qualifying = await ask(env, user, "/results f1 2021 monaco qualifying")
    assert (
        "Formula 1 2021" in qualifying["text"] and "🥇 #16 Charles Leclerc — Ferrari · ⏱ 1:10.346" in qualifying["text"]
    )
    if language == "en":
        assert "+1 lap" in body and "retired after 68 laps (Suspension)" in body
    else:
        assert "+1 Runde" in body and "ausgefallen nach 68 Runden (Aufhängung)" in body
        assert_german(body)
    # The second page, and on to the next Grand Prix of 1995 with the race kept.
    second = await press(env, user, past, "▶")
    assert "21–26 / 26" in second["text"]
    canada = await press(env, user, second, "Canadian ▶")
    assert "Canadian Grand Prix" in canada["text"] and "1–20 / 24" in canada["text"]


@pytest.mark.parametrize("language", ["en", "de"])
async def test_imsa_daytona_gtd_with_gaps_within_the_class(env: BotEnv, language: str) -> None:
    user = ANA if language == "en" else BEN
    reply = await ask(env, user, "/results imsa daytona gtd")
    body = reply["text"]
    assert "Rolex 24 at Daytona" in body and " · GTD" in body
    assert "🥇 #27 Roman De Angelis" in body and "24:02:41.107" in body
    # Gaps within the class, not to the overall winner (a GTP car 54 laps ahead).
    assert "+5.363" in body
    assert ("+1 lap" if language == "en" else "+1 Runde") in body
    assert "54" not in re.sub(r"\d+:\d+[:.]\d+", "", body)
    # The class is kept through the session buttons and to the next event.
    quali = await press(env, user, reply, "Qualifying")
    assert " · GTD" in quali["text"]
    sebring = await press(env, user, quali, "Sebring ▶")
    assert "Sebring" in sebring["text"] and " · GTD" in sebring["text"] and "Qualifying" in sebring["text"]
    every = await press(env, user, sebring, "All classes" if language == "en" else "Alle Klassen")
    assert " · GTD\n" not in every["text"] and "GTP" in every["text"]
    if language == "de":
        assert_german(body)


async def test_spa_gives_its_stage_classifications_as_buttons(env: BotEnv) -> None:
    # Spa is an F1 and a GT World Challenge venue: a chat of neither series is asked which, with buttons.
    which = await ask(env, ANA, "/results spa")
    assert "Which series do you mean?" in which["text"]
    assert len(buttons(which)) == 2
    spa = await press(env, ANA, which, "GT World Challenge Europe")
    assert "CrowdStrike 24 Hours of Spa" in spa["text"]
    assert {"6h", "12h", "18h", "• Race", "Q1"} <= set(labels(spa))
    twelve = await press(env, ANA, spa, "12h")
    assert "Race after 12h" in twelve["text"] and "261 laps" in twelve["text"]
    every = await press(env, ANA, twelve, "all stages")
    assert {f"{h}h" for h in range(1, 24)} <= {label.removeprefix("• ") for label in labels(every)}
    assert_all_buttons_fit(every)
    # A German chat following the series gets it at once.
    await env.say(GT_FAN_DE, GT_FAN_DE, "/follow series gtwc-europe")
    german = await ask(env, GT_FAN_DE, "/results spa nach 6 stunden")
    assert "Rennen nach 6h" in german["text"] and "• 6h" in labels(german)
    assert_german(german["text"])


@pytest.mark.parametrize("language", ["en", "de"])
async def test_anything_not_understood_gets_buttons_never_a_list_of_names(env: BotEnv, language: str) -> None:
    user = ANA if language == "en" else BEN
    unknown = await ask(env, user, "/results f1 2021 valencia")
    body = unknown["text"]
    assert "valencia" in body and "2021" in body
    assert len(body) < 200 and "Grand Prix" not in body  # the events are buttons, not a text list
    assert len(buttons(unknown)) == 22 and max(len(row) for row in _rows(unknown)) <= 3
    monaco = await press(env, user, unknown, "Monaco")
    assert "Formula 1 2021 — Monaco Grand Prix" in monaco["text"]
    several = await ask(env, user, "/results f1 2021 red bull ring qualifying")
    assert labels(several) == ["Styrian", "Austrian"]
    styrian = await press(env, user, several, "Styrian")
    assert "Styrian Grand Prix" in styrian["text"] and "Qualifying" in styrian["text"]
    series = await ask(env, user, "/results zandvoort 2023")
    assert len(buttons(series)) == 2
    zandvoort = await press(env, user, series, "GT World Challenge")
    assert "GT World Challenge Europe 2023 — Zandvoort" in zandvoort["text"]
    # Only GT World Challenge has a Race 2 at Zandvoort: no question then.
    race_2 = await ask(env, user, "/results zandvoort race 2")
    assert "Zandvoort" in race_2["text"] and ("Race 2" if language == "en" else "Rennen 2") in race_2["text"]
    if language == "de":
        assert "Verstanden: Formula 1 2021" in body and "Welche Veranstaltung?" in body
        assert "Welche Serie meinst du?" in series["text"]
        assert_german(body)
        assert_german(series["text"])


def _rows(message: dict[str, Any]) -> list[list[Any]]:
    markup = message.get("reply_markup") or {}
    return list(markup.get("inline_keyboard", []))


@pytest.mark.parametrize("language", ["en", "de"])
async def test_class_filter_pages_and_the_chats_drivers(env: BotEnv, language: str) -> None:
    user = ANA if language == "en" else BEN
    await env.say(user, user, "/follow Klaus Bachler")
    barcelona = await ask(env, user, "/results gtwc-europe barcelona")
    body = barcelona["text"]
    assert ("Class winners" if language == "en" else "Klassensieger") in body
    assert "1–12 / 54" in body
    last = await press(env, user, barcelona, "▶")
    for _ in range(3):
        last = await press(env, user, last, "▶")
    assert "49–54 / 54" in last["text"]
    # The chat's driver is marked in the classification, his name in bold.
    assert "» – #911 Joel Sturm, Alex Malykhin, <b>Klaus Bachler</b>" in _html(last)
    status = "not classified after 19 laps" if language == "en" else "nicht gewertet nach 19 Runden"
    assert status in last["text"]
    bronze = await press(env, user, last, "Bronze Cup")
    assert "1–12 / 16" in bronze["text"]
    assert "🥇 #188 Louis Prette, Miguel Ramos, Henrique Chaves" in bronze["text"]
    assert "Class winners" not in bronze["text"] and "Klassensieger" not in bronze["text"]
    # Previous event keeps the class; Valencia's Race 1 stands for Barcelona's one race.
    valencia = await press(env, user, bronze, "◀ Valencia")
    assert "Valencia" in valencia["text"] and "Bronze Cup" in valencia["text"]
    assert "#66 Dennis Marschall, Andrey Mukovoz" in valencia["text"].split("\n")[4]
    if language == "de":
        assert_german(last["text"])


async def test_buttons_are_untrusted_input(env: BotEnv) -> None:
    reply = await ask(env, ANA, "/results valencia")
    assert callbacks.parse_results_view(button_data(reply, "Race 2")) is not None
    expired = "That button has expired — send the command again."
    for forged in (
        "v1:rv:9999999:0:0:s",  # no such session
        "v1:rv:1:99:0:s",
        "v1:rv:abc:0:0:s",
        "v1:rv:12:0:0:x",
        "v1:rv:12:0:0:s:extra",
    ):
        update = env.standin.press_button(ANA, ANA, reply["message_id"], forged, stale=True)
        query_id = update["callback_query"]["id"]
        for _ in range(500):
            if query_id in env.standin.callback_answers:
                break
            await env.quiet(0.01)
        assert env.standin.callback_answers[query_id].get("text") == expired, forged
    assert env.standin.messages(ANA)[-1]["text"] == reply["text"]  # nothing changed


def test_the_results_view_codec_round_trips_and_refuses_garbage() -> None:
    action = ResultsViewAction(9_999_999, 50, 200, True)
    data = callbacks.results_view(action)
    assert len(data) <= 64 and callbacks.parse_results_view(data) == action
    for bad in (None, "", "v1:rv:0:0:0:s", "v1:rv:1:51:0:s", "v1:rv:1:0:201:s", "v1:rv:1:0:0", "v1:rv:1:0:0:s:x"):
        assert callbacks.parse_results_view(bad) is None, bad


def _html(message: dict[str, Any]) -> str:
    """The message as HTML again, from its entities (the stand-in stores text plus entities, as Telegram does)."""
    body: str = message["text"]
    utf16 = body.encode("utf-16-le")
    marks: list[tuple[int, str]] = []
    for entity in message.get("entities", []):
        if entity["type"] == "bold":
            marks += [(entity["offset"], "<b>"), (entity["offset"] + entity["length"], "</b>")]
    out, last = [], 0
    for offset, tag in sorted(marks, key=lambda m: (m[0], m[1] != "</b>")):
        out.append(utf16[last * 2 : offset * 2].decode("utf-16-le"))
        out.append(tag)
        last = offset
    out.append(utf16[last * 2 :].decode("utf-16-le"))
    return "".join(out)


async def test_every_session_of_the_shipped_series_fits_one_message(store: Store) -> None:
    """Every results view of GTWC Europe and IMSA 2023 and F1 2024 — first and last page, all classes and each
    class — is one Telegram message (≤ 4096 characters) with buttons of ≤ 64 bytes, and German throughout."""
    german, english = Translator("de"), Translator("en")
    checked = 0
    for slug, year in (("gtwc-europe", 2023), ("imsa", 2023), ("f1", 2024)):
        classes = await store.series.classes(slug, year)
        for event in await store.results.results_events(slug, year):
            for session in await store.results.result_sessions(event.id):
                for class_index in range(len(classes) + 1):
                    for page in (0, MAX_RESULTS_PAGE):
                        action = ResultsViewAction(session.id, class_index, page)
                        view = await results_view(store, 1, action)
                        for t in (german, english):
                            body, markup = render.results_view(t, view)
                            assert len(body) <= 4096, (event.key, session.key, class_index)
                            assert markup is not None
                            assert all(
                                len(str(b.callback_data).encode()) <= 64 for row in markup.inline_keyboard for b in row
                            )
                        names = {v for r in view.page.rows + view.class_winners for v in (r.team, r.car) if v}
                        assert_german(render.results_view(german, view)[0], tuple(names))
                        checked += 1
    assert checked > 500


@pytest.mark.parametrize("language", ["en", "de"])
async def test_an_event_not_raced_yet_this_season_shows_last_years(env: BotEnv, tmp_path: Path, language: str) -> None:
    """A new season's calendar is in (F1 2025, Monaco not raced yet): "/results f1 monaco" is last year's race,
    "/results f1 2025 monaco" says there is no result yet — in the chat's language."""
    season = {
        "year": 2025,
        "events": [
            {
                "key": "08-monaco",
                "name": "Monaco Grand Prix",
                "round": 8,
                "start_date": "2025-05-23",
                "end_date": "2025-05-25",
                "timezone": "Europe/Monaco",
                "sessions": [{"key": "race", "name": "Race", "kind": "race", "start": "2025-05-25T13:00:00Z"}],
            }
        ],
    }
    doc = {"format": "pitboard/1", "series": {"slug": "f1", "name": "Formula 1"}, "seasons": [season]}
    path = tmp_path / "f1-2025.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    await env.store.apply(load_paths([path]))
    user = ANA if language == "en" else BEN
    last_year = await ask(env, user, "/results f1 monaco")
    assert "Formula 1 2024 — Monaco Grand Prix" in last_year["text"] and "🥇 #16 Charles Leclerc" in last_year["text"]
    not_yet = await ask(env, user, "/results f1 2025 monaco")
    expected = {
        "en": "Monaco Grand Prix has no results yet.",
        "de": "Für Monaco Grand Prix gibt es noch keine Ergebnisse.",
    }
    assert not_yet["text"] == expected[language]
