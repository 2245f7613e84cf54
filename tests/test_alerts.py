"""What reminders and race summaries say, decided from the store (no Telegram): the article's stories."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import render
from bot.alerts.planner import recipients
from bot.alerts.reminder import due_at, reminder
from bot.alerts.summary import race_summary
from bot.i18n import Translator
from storage.store import Store


async def _session(store: Store, series: str, event_key: str, key: str) -> int:
    return next(
        s.session_id for s in await store.schedule.schedule(series, 2023) if (s.event_key, s.key) == (event_key, key)
    )


async def _driver(store: Store, name: str) -> int:
    return next(n.driver_id for n in await store.drivers.driver_names() if n.name == name)


async def test_petit_le_mans_one_hour_reminder(store: Store) -> None:
    bachler = await _driver(store, "Klaus Bachler")
    session_id = await _session(store, "imsa", "petit-le-mans", "race")
    r = await reminder(store, session_id, {bachler}, 60)
    assert r is not None and r.session.start_utc is not None
    assert due_at(r.session.start_utc, 60) == datetime(2023, 10, 14, 14, 40, tzinfo=UTC)
    vienna = render.reminder(Translator("en"), r, "Europe/Vienna")
    new_york = render.reminder(Translator("en"), r, "America/New_York")
    assert "17:40 CEST" in vienna and "11:40 EDT" in new_york
    for text in (vienna, new_york):
        assert "#9 Pfaff Motorsports, Porsche 911 GT3 R (992), GTDPRO" in text
        assert "with Patrick Pilet, Kevin Estre" in text
    assert "grid P30 (P4 in GTDPRO)" in vienna
    german = render.reminder(Translator("de"), r, "Europe/Vienna")
    assert "Rennen beginnt in 1 Std.: Sa. 14. Okt. 17:40 MESZ" in german or "17:40" in german


async def test_reminder_times_across_the_dst_change(store: Store) -> None:
    """Sebring 2023 started a week after the US went to summer time, two weeks before Europe did."""
    bachler = await _driver(store, "Klaus Bachler")
    session_id = await _session(store, "imsa", "sebring", "race")
    r = await reminder(store, session_id, {bachler}, 1440)
    assert r is not None
    vienna = render.reminder(Translator("en"), r, "Europe/Vienna")
    new_york = render.reminder(Translator("en"), r, "America/New_York")
    assert "Sat 18 Mar 15:10 CET" in vienna  # 14:10 UTC; Vienna still on CET (+1)
    assert "Sat 18 Mar 10:10 EDT" in new_york  # New York on EDT (-4) since 12 March


async def test_barcelona_summary_tells_the_bachler_story(store: Store) -> None:
    bachler = await _driver(store, "Klaus Bachler")
    session_id = await _session(store, "gtwc-europe", "barcelona", "race")
    summary = await race_summary(store, session_id, {bachler})
    assert summary is not None
    (outcome,) = summary.outcomes
    assert outcome.class_pole and outcome.status == "not_classified" and outcome.laps == 19
    titles = {(t.championship, t.car_class): t for t in summary.titles}
    overall = titles[("Overall", "Bronze Cup")]
    assert overall.drivers == ["Alex Malykhin"] and overall.teams == ["Pure Rxcing"]
    assert ("Endurance Cup", "Bronze Cup") in titles
    assert not any(t.championship == "Sprint Cup" for t in summary.titles)  # decided at Valencia already
    english = render.race_summary(Translator("en"), summary)
    assert "Class pole, not classified after 19 laps" in english
    assert "Bronze Cup title decided (Overall): <b>Alex Malykhin</b> · teams: Pure Rxcing" in english
    german = render.race_summary(Translator("de"), summary)
    assert "Klassen-Pole, nicht gewertet nach 19 Runden" in german
    assert "Titel im Bronze Cup entschieden (Gesamtwertung): <b>Alex Malykhin</b> · Teams: Pure Rxcing" in german
    assert "Bronze Cup: #188 Garage 59" in german


async def test_sprint_cup_title_is_announced_at_valencia_not_later(store: Store) -> None:
    malykhin = await _driver(store, "Alex Malykhin")
    race_2 = await _session(store, "gtwc-europe", "valencia", "race-2")
    summary = await race_summary(store, race_2, {malykhin})
    assert summary is not None
    assert any(t.championship == "Sprint Cup" and t.drivers == ["Alex Malykhin"] for t in summary.titles)


async def test_stages_and_qualifying_get_no_summary(store: Store) -> None:
    stage = await _session(store, "gtwc-europe", "spa", "race-after-6h")
    assert await race_summary(store, stage, set()) is None


async def test_points_and_position_before_after(store: Store) -> None:
    bachler = await _driver(store, "Klaus Bachler")
    spa = await _session(store, "imsa", "petit-le-mans", "race")
    summary = await race_summary(store, spa, {bachler})
    assert summary is not None
    (outcome,) = summary.outcomes
    assert outcome.class_position == 2 and outcome.position == 19
    assert outcome.points == 320 + 28  # P2 in class in the race, P4 in class in qualifying
    text = render.outcome_text(Translator("en"), outcome)
    assert re.search(r"GTDPRO \(WeatherTech Championship\): (P\d+ → )?P\d+", text)


async def test_recipients_follow_drivers_series_and_teams(copy_db) -> None:  # type: ignore[no-untyped-def]
    async with await Store.open(copy_db) as store:
        bachler = await _driver(store, "Klaus Bachler")
        for chat in (1, 2, 3, 4):
            await store.chats.ensure(chat, "private", None, "en")
        await store.chats.follow(1, "driver", bachler)
        series = next(s.id for s in await store.series.all() if s.slug == "gtwc-europe")
        await store.chats.follow(2, "series", series)
        team = next(t.team_id for t in await store.chats.teams() if t.name == "Pure Rxcing")
        await store.chats.follow(3, "team", team)
        await store.chats.follow(4, "driver", bachler)
        await store.chats.set_active(4, False)
        got = await recipients(store, await _session(store, "gtwc-europe", "barcelona", "race"))
        assert got == {1: {bachler}, 2: set(), 3: set()}
