"""/standings' "📈 Chart": the data (points match the table), the PNG (valid, inside Telegram's photo limits), the
button pressed through the real bot and the stand-in (toast at once, a photo arrives, the cache and Telegram's
file_id reused), and the stand-in's own photo checks."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
import telegram
from telegram.error import BadRequest

from bot.core import callbacks
from bot.i18n import Translator
from bot.ingest.importers import load_paths
from bot.render.charts import chart_caption, chart_png
from bot.services.charts import ChartData, ChartRequest, Lru, chart_data, round_label
from bot.services.season import NotFound, standings_table
from bot.standin import BotApiStandIn
from handlers.chart import ChartCache
from storage.store import Store
from tests.botenv import BotEnv, future_calendar, running_bot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ANA, BEN = 1001, 1002  # English and German private users


async def _ids(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    series = {s.slug: s.id for s in await store.series.all()}
    drivers = {n.name: n.driver_id for n in await store.drivers.driver_names()}
    return series, drivers


def _check_png(png: bytes) -> tuple[int, int]:
    """A PNG Telegram takes as a photo: ≤ 10 MB, width + height ≤ 10000, sides at most 20:1."""
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) <= 10 * 1024 * 1024
    with PIL.Image.open(io.BytesIO(png)) as image:
        image.verify()
        width, height = image.size
    assert width + height <= 10_000 and max(width, height) / min(width, height) <= 20
    return width, height


def _final_points(data: ChartData) -> dict[int, float]:
    return {subject: line.points[-1] for line in data.lines for subject in line.subject_ids}


# ---------------------------------------------------------------------- the data


async def test_gtwc_bronze_cup_final_points_are_the_tables(store: Store) -> None:
    series, drivers = await _ids(store)
    malykhin = drivers["Alex Malykhin"]
    [table] = await standings_table(store, "gtwc-europe", 2023, "Bronze Cup")
    bronze = table.classes.index("Bronze Cup") + 1
    data = await chart_data(store, ChartRequest(series["gtwc-europe"], 2023, 0, bronze, False, frozenset({malykhin})))
    assert (data.championship, data.car_class, data.source) == ("Overall", "Bronze Cup", "computed")
    assert len(data.rounds) == 10 and data.rounds[3] == "Spa" and data.rounds[-1] == "Zandvoort"
    table_points = {row.subject_id: row.points for row in table.rows}
    final = _final_points(data)
    assert final and all(final[subject] == table_points[subject] for subject in final)
    # The leaders, in the table's order; a crew sharing every round's points is one line.
    assert data.lines[0].names == ("Alex Malykhin",) and data.lines[0].own and data.lines[0].points[-1] == 139.5
    assert data.lines[1].names == ("Ralf Bohn", "Robert Renauer")
    assert all(len(line.points) == 10 for line in data.lines)
    assert all(a <= b for line in data.lines for a, b in zip(line.points, line.points[1:], strict=False))
    leaders = {row.subject_id for row in table.rows if row.position is not None and row.position <= 3}
    assert leaders <= set(final)


async def test_f1_2021_drivers_final_points_are_the_official_table(store: Store) -> None:
    series, drivers = await _ids(store)
    mazepin = drivers["Nikita Mazepin"]  # last in 2021: drawn only because the chat follows him
    data = await chart_data(store, ChartRequest(series["f1"], 2021, 0, 0, False, frozenset({mazepin})))
    [table] = await standings_table(store, "f1", 2021)
    assert (data.source, table.source) == ("official", "official")
    table_points = {row.subject_id: row.points for row in table.rows}
    assert _final_points(data) == {s: table_points[s] for s in _final_points(data)}
    assert [line.names[0] for line in data.lines[:2]] == ["Max Verstappen", "Lewis Hamilton"]
    assert data.lines[0].points[-1] == 395.5 and data.lines[1].points[-1] == 387.5
    assert data.lines[-1].names == ("Nikita Mazepin",) and data.lines[-1].own
    assert len(data.rounds) == 22 and data.rounds[0] == "Bahrain" and data.rounds[-1] == "Abu Dhabi"
    constructors = await chart_data(store, ChartRequest(series["f1"], 2021, 1, 0, True))
    assert constructors.lines[0].names == ("Mercedes",) and constructors.lines[0].points[-1] == 613.5


async def test_what_cannot_be_drawn_says_why(store: Store) -> None:
    series, _ = await _ids(store)
    with pytest.raises(NotFound) as number:
        await chart_data(store, ChartRequest(series["gtwc-europe"], 2023, 7, 0, False))
    assert number.value.message == "No championship number {number} in {season}."
    with pytest.raises(NotFound) as teams:
        await chart_data(store, ChartRequest(series["f1"], 2021, 0, 0, True))
    assert teams.value.values == {"championship": "Drivers' Championship"}
    with pytest.raises(NotFound):
        await chart_data(store, ChartRequest(series["gtwc-europe"], 2023, 0, 9, False))
    with pytest.raises(NotFound):
        await chart_data(store, ChartRequest(series["gtwc-europe"], 1999, 0, 0, False))


@pytest.mark.parametrize(
    ("name", "key", "label"),
    [
        ("Bahrain Grand Prix", "01-bahrain", "Bahrain"),
        ("Emilia Romagna Grand Prix", "02-imola", "Emilia Romagna"),
        ("CrowdStrike 24 Hours of Spa", "spa", "Spa"),
        ("Circuit Paul Ricard 1000 km", "paul-ricard", "Paul Ricard"),
        ("Nürburgring", "nurburgring", "Nürburgring"),
        ("Michelin GT Challenge at VIR", "vir", "VIR"),
        ("Sahlen's Six Hours of The Glen", "watkins-glen", "Watkins Glen"),
        ("Chevrolet Grand Prix", "ctmp", "CTMP"),
        ("A Very Long Sponsored Event Name", "99-x", "A Very Long Spo…"),
    ],
)
def test_round_labels_fit_an_axis(name: str, key: str, label: str) -> None:
    assert round_label(name, key) == label


def test_lru_keeps_the_recent_ones() -> None:
    cache: Lru[int, str] = Lru(2)
    cache.put(1, "a")
    cache.put(2, "b")
    assert cache.get(1) == "a"
    cache.put(3, "c")
    assert (cache.get(1), cache.get(2), cache.get(3), len(cache)) == ("a", None, "c", 2)


# ---------------------------------------------------------------------- the picture


async def test_png_is_a_phone_sized_photo_the_same_every_time(store: Store) -> None:
    series, drivers = await _ids(store)
    request = ChartRequest(series["gtwc-europe"], 2023, 0, 1, False, frozenset({drivers["Alex Malykhin"]}))
    data = await chart_data(store, request)
    english, german = Translator("en"), Translator("de")
    png = chart_png(english, data)
    assert _check_png(png) == (1280, 720)
    assert chart_png(english, data) == png  # same data, same bytes: what the cache relies on
    assert chart_png(german, data) != png  # German labels ("Punkte", "Punkte nach jedem Lauf", 139,5)
    caption = chart_caption(german, data)
    assert "GT World Challenge Europe 2023 — Gesamtwertung — Bronze Cup" in caption
    assert "aus den Ergebnissen berechnet, nach Zandvoort" in caption and "Dicke Linien" in caption
    assert "computed from results" in chart_caption(english, data)


# ---------------------------------------------------------------------- the button, end to end


@pytest.fixture
async def env(copy_db: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        running.standin.user(ANA, first_name="Ana", language_code="en")
        running.standin.user(BEN, first_name="Ben", language_code="de")
        yield running
        assert running.errors() == []


async def _press(env: BotEnv, chat: int, data: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Press a chart button (sent as the callback data a /standings view carries) under the chat's last message."""
    anchor = env.standin.messages(chat)[-1]
    pressed: dict[str, Any] = {}

    def inject() -> None:
        pressed.update(env.standin.press_button(chat, chat, anchor["message_id"], data, stale=True))

    new = await env.after(chat, inject)
    return new, env.standin.callback_answers[pressed["callback_query"]["id"]]


def _photo_calls(env: BotEnv) -> list[dict[str, Any]]:
    return [c.params for c in env.standin.calls if c.method == "sendPhoto" and c.status == 200]


async def test_pressing_chart_sends_the_title_fight_as_a_photo(env: BotEnv, tmp_path: Path) -> None:
    series, _ = await _ids(env.store)
    await env.say(BEN, BEN, "/follow Alex Malykhin")
    await env.say(BEN, BEN, "/standings gtwc-europe bronze")
    data = callbacks.chart(series["gtwc-europe"], 2023, 0, 1, False)
    [photo], toast = await _press(env, BEN, data)
    assert toast["text"] == "📈 Das Diagramm wird gezeichnet …" and not toast.get("show_alert")
    assert photo["kind"] == "photo"
    assert "GT World Challenge Europe 2023 — Gesamtwertung — Bronze Cup" in photo["caption"]
    assert "nach Zandvoort" in photo["caption"] and "Dicke Linien" in photo["caption"]
    png = env.standin.file_content(photo["photo"][-1]["file_id"])
    assert _check_png(png) == (1280, 720)
    assert photo["photo"][-1]["width"] == 1280  # the stand-in measured it, as Telegram does
    [upload] = _photo_calls(env)
    assert upload["photo"]["size"] == len(png) and upload["photo"]["content_type"] == "image/png"

    # Pressed again: nothing drawn, nothing uploaded: Telegram's file_id of the first send.
    cache = env.app.bot_data["charts"]
    assert isinstance(cache, ChartCache) and cache.drawn == 1
    [again], _ = await _press(env, BEN, data)
    assert again["kind"] == "photo" and cache.drawn == 1
    assert _photo_calls(env)[-1]["photo"] == photo["photo"][-1]["file_id"]

    # New results (any import) make a new revision: drawn again.
    await env.store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
    [redrawn], _ = await _press(env, BEN, data)
    assert redrawn["kind"] == "photo" and cache.drawn == 2
    assert isinstance(_photo_calls(env)[-1]["photo"], dict)  # an upload again


async def test_chart_in_english_for_f1_and_what_cannot_be_drawn(env: BotEnv) -> None:
    series, _ = await _ids(env.store)
    await env.say(ANA, ANA, "/standings f1")
    [photo], toast = await _press(env, ANA, callbacks.chart(series["f1"], 2021, 0, 0, False))
    assert toast["text"] == "📈 Drawing the chart…"
    assert "Formula 1 2021 — Drivers' Championship" in photo["caption"] and "official" in photo["caption"]
    _check_png(env.standin.file_content(photo["photo"][-1]["file_id"]))

    # A championship the season does not have: a message that says so, in the chat's language.
    [missing], _ = await _press(env, ANA, callbacks.chart(series["f1"], 2021, 5, 0, False))
    assert "No championship number 6 in Formula 1 2021" in missing["text"]
    await env.say(BEN, BEN, "/start")
    [fehlt], _ = await _press(env, BEN, callbacks.chart(series["f1"], 2021, 0, 0, True))
    assert "Fahrerwertung hat keine Teamwertung" in fehlt["text"]

    # A series gone from the store: the button has expired (an alert, no message).
    anchor = env.standin.messages(ANA)[-1]
    pressed = env.standin.press_button(
        ANA, ANA, anchor["message_id"], callbacks.chart(999, 2021, 0, 0, False), stale=True
    )
    query_id = pressed["callback_query"]["id"]
    while query_id not in env.standin.callback_answers:
        await env.quiet(0.02)
    assert env.standin.callback_answers[query_id]["show_alert"] is True


async def test_a_refused_photo_is_dropped_by_the_error_table(env: BotEnv) -> None:
    series, _ = await _ids(env.store)
    await env.say(ANA, ANA, "/standings f1")
    env.standin.fail_next(
        "sendPhoto", chat_id=ANA, error_code=403, description="Forbidden: bot was blocked by the user"
    )
    anchor = env.standin.messages(ANA)[-1]
    pressed = env.standin.press_button(
        ANA, ANA, anchor["message_id"], callbacks.chart(series["f1"], 2021, 0, 0, False), stale=True
    )
    query_id = pressed["callback_query"]["id"]
    while not any(c.method == "sendPhoto" for c in env.standin.calls):
        await env.quiet(0.02)
    await env.quiet(0.1)
    assert query_id in env.standin.callback_answers
    chat = await env.store.chats.get(ANA)
    assert chat is not None and not chat.active  # blocked: the chat is deactivated, as for any message


# ---------------------------------------------------------------------- the stand-in checks photos


@pytest.fixture
async def photo_bot() -> AsyncIterator[tuple[BotApiStandIn, telegram.Bot]]:
    standin = BotApiStandIn("123456:TEST", enforce_limits=False)
    standin.private_chat(standin.user(ANA, "Ana"))
    await standin.start()
    bot = telegram.Bot("123456:TEST", base_url=standin.base_url, base_file_url=standin.base_file_url)
    try:
        async with bot:
            yield standin, bot
    finally:
        await standin.stop()


def _image(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("1", (width, height)).save(out, format="PNG")
    return out.getvalue()


async def test_standin_refuses_what_telegram_refuses_as_a_photo(photo_bot: tuple[BotApiStandIn, telegram.Bot]) -> None:
    standin, bot = photo_bot
    sent = await bot.send_photo(ANA, _image(2000, 100), caption="ok")  # 20:1 exactly is allowed
    assert (sent.photo[-1].width, sent.photo[-1].height) == (2000, 100)
    for content, error in [
        (b"<html>not an image</html>", "IMAGE_PROCESS_FAILED"),
        (_image(2100, 100), "PHOTO_INVALID_DIMENSIONS"),  # 21:1
        (_image(5001, 5000), "PHOTO_INVALID_DIMENSIONS"),  # width + height > 10000
        (PNG_SIGNATURE + bytes(10 * 1024 * 1024), "PHOTO_SAVE_FILE_INVALID"),  # over 10 MB
    ]:
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.send_photo(ANA, content)
    document = await bot.send_document(ANA, b"a,b\n", filename="t.csv")
    assert document.document is not None
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await bot.send_photo(ANA, document.document.file_id)
    again = await bot.send_photo(ANA, sent.photo[-1].file_id)  # a photo's file_id: no upload, same file
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    assert [m["kind"] for m in standin.messages(ANA)] == ["photo", "document", "photo"]
