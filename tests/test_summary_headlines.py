"""Race summaries lead with what matters: per followed driver the headline first (a title this race decided
for them, else their race), then the details; other titles after. Decided from the shipped GTWC Europe 2023
data in the store, rendered in both languages."""

from __future__ import annotations

import pytest

from bot import render
from bot.alerts.planner import plan_summaries
from bot.alerts.summary import race_summary
from bot.i18n import Translator
from bot.standin.html_check import parse_html, utf16_len
from storage.store import Store


async def _session(store: Store, event_key: str, key: str) -> int:
    schedule = await store.schedule.schedule("gtwc-europe", 2023)
    return next(s.session_id for s in schedule if (s.event_key, s.key) == (event_key, key))


async def _driver(store: Store, name: str) -> int:
    return next(n.driver_id for n in await store.drivers.driver_names() if n.name == name)


def _blocks(text: str) -> list[list[str]]:
    return [part.splitlines() for part in text.split("\n\n")]


def _block_of(text: str, name: str) -> list[str]:
    return next(block for block in _blocks(text) if f"<b>{name}</b>" in block[0])


@pytest.mark.parametrize(
    ("language", "headline"),
    [
        ("en", "🏆 <b>Alex Malykhin</b> — Bronze Cup champion (Overall) · teams: Pure Rxcing"),
        ("de", "🏆 <b>Alex Malykhin</b> — Meister im Bronze Cup (Gesamtwertung) · Teams: Pure Rxcing"),
    ],
)
async def test_barcelona_malykhin_block_opens_with_his_bronze_cup_title(
    store: Store, language: str, headline: str
) -> None:
    malykhin = await _driver(store, "Alex Malykhin")
    summary = await race_summary(store, await _session(store, "barcelona", "race"), {malykhin})
    assert summary is not None
    text = render.race_summary(Translator(language), summary)
    block = _block_of(text, "Alex Malykhin")
    assert block[0] == headline
    # Then the race itself, the car, the details.
    assert (
        block[1]
        == {"en": "Class pole, not classified after 19 laps", "de": "Klassen-Pole, nicht gewertet nach 19 Runden"}[
            language
        ]
    )
    assert block[2].startswith("#911 Pure Rxcing, Bronze Cup")
    # The title named in his line is not repeated; the Endurance Cup's (another car's) follows, with holders.
    assert text.count("Overall") + text.count("Gesamtwertung") == 2  # his headline and his table line
    others = [line for line in text.splitlines() if line.startswith("🏆 ") and "<b>Alex Malykhin</b>" not in line]
    assert len(others) == 1 and "Endurance Cup" in others[0]
    assert "Chris Froggatt, Eddie Cheever, Jonathan Hui" in others[0] and "SKY - Tempesta Racing" in others[0]


async def test_barcelona_bachler_pole_out_and_champion_with_his_car(store: Store) -> None:
    """The store's story: #911 took the Bronze Cup pole, was not classified after 19 laps, and the overall Bronze
    Cup title went to the car's team (and to Malykhin, who raced every round); Bachler's own ranking fell."""
    bachler = await _driver(store, "Klaus Bachler")
    summary = await race_summary(store, await _session(store, "barcelona", "race"), {bachler})
    assert summary is not None
    (outcome,) = summary.outcomes
    assert outcome.class_pole and outcome.status == "not_classified" and outcome.laps == 19
    assert outcome.titles == []  # not his as a driver: P8 → P12 in the overall Bronze Cup
    assert outcome.standing_before == 8 and outcome.standing_after == 12
    assert [(t.championship, t.car_class, t.teams) for t in outcome.car_titles] == [
        ("Overall", "Bronze Cup", ["Pure Rxcing"])
    ]
    english = _block_of(render.race_summary(Translator("en"), summary), "Klaus Bachler")
    assert english[:2] == [
        "🏆 <b>Klaus Bachler</b> — Bronze Cup teams' title with Pure Rxcing (Overall)",
        "Class pole, not classified after 19 laps",
    ]
    assert english[3] == "+1 pt · Bronze Cup (Overall): P8 → P12 (87 pts)"  # the class pole's point
    german_text = render.race_summary(Translator("de"), summary)
    german = _block_of(german_text, "Klaus Bachler")
    assert german[:2] == [
        "🏆 <b>Klaus Bachler</b> — Teamtitel im Bronze Cup mit Pure Rxcing (Gesamtwertung)",
        "Klassen-Pole, nicht gewertet nach 19 Runden",
    ]
    assert german[3] == "+1 Pkt. · Bronze Cup (Gesamtwertung): P8 → P12 (87 Pkt.)"
    # The drivers' title was not named in his line: it follows, with its holder.
    assert (
        "🏆 Titel im Bronze Cup entschieden (Gesamtwertung): <b>Alex Malykhin</b> · Teams: Pure Rxcing" in german_text
    )


async def test_valencia_class_win_and_sprint_cup_title(store: Store) -> None:
    malykhin = await _driver(store, "Alex Malykhin")
    summary = await race_summary(store, await _session(store, "valencia", "race-2"), {malykhin})
    assert summary is not None
    block = _block_of(render.race_summary(Translator("en"), summary), "Alex Malykhin")
    assert block[0] == "🏆 <b>Alex Malykhin</b> — Bronze Cup champion (Sprint Cup) · teams: Pure Rxcing"
    assert block[1] == "🥇 Class win"
    assert block[3].startswith("P19 overall · +28.5 pts · Bronze Cup (Overall): P1")


async def test_a_podium_without_a_title_leads_with_the_class_result(store: Store) -> None:
    summary = await race_summary(
        store, await _session(store, "barcelona", "race"), {await _driver(store, "Miguel Ramos")}
    )
    assert summary is not None
    (outcome,) = summary.outcomes
    text = render.race_summary(Translator("de"), summary)
    block = _block_of(text, "Miguel Ramos")
    assert outcome.class_position == 1 and block[0] == "🥇 <b>Miguel Ramos</b> — Klassensieg"
    assert block[1].startswith("#188 Garage 59, Bronze Cup, mit ")
    assert block[2].startswith(f"P{outcome.position} gesamt · schnellste Runde der Klasse · +25 Pkt. · Bronze Cup")


async def test_chats_get_their_own_titles_and_the_summaries_stay_valid_html(copy_db) -> None:  # type: ignore[no-untyped-def]
    """Through the planner: each chat's drivers' blocks, titles only for their classes, HTML that parses."""
    async with await Store.open(copy_db) as store:
        malykhin, ramos = await _driver(store, "Alex Malykhin"), await _driver(store, "Miguel Ramos")
        pro = await _driver(store, "Nicklas Nielsen")
        for chat, language, driver in ((1, "en", malykhin), (2, "de", ramos), (3, "de", pro)):
            await store.chats.ensure(chat, "private", None, language)
            await store.chats.follow(chat, "driver", driver)
        plan = await plan_summaries(store, await _session(store, "barcelona", "race"))
        assert plan is not None
        texts = {
            chat: render.race_summary(Translator(lang), plan.for_chat(chat))
            for chat, lang in ((1, "en"), (2, "de"), (3, "de"))
        }
    assert texts[1].split("\n\n")[1].startswith("🏆 <b>Alex Malykhin</b> — Bronze Cup champion (Overall)")
    assert "Titel im Bronze Cup entschieden (Gesamtwertung): <b>Alex Malykhin</b>" in texts[2]  # Bronze Cup chat
    # A Pro Cup driver's chat hears of the Pro Cup titles decided there, not of the Bronze Cup's.
    assert "Titel im Pro Cup entschieden (Gesamtwertung)" in texts[3] and "Titel im Bronze Cup" not in texts[3]
    for text in texts.values():
        assert utf16_len(parse_html(text).text) <= 4096  # Telegram's parser accepts it, within one message
