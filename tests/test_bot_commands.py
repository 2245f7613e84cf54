"""Every command end to end: the real Application, real HTTP to the Bot API stand-in, a real SQLite file.

The stand-in's flood limits and the bot's own pacing are off here (see tests/botenv.py);
tests/test_bot_limits.py runs with both on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ingest.importers import load_paths
from tests.botenv import ADMIN_ID, BotEnv, buttons, future_calendar, running_bot

ANA, BEN = 1001, 1002  # English and German private users
GROUP = -1001234567890
MEMBER, GROUP_ADMIN = 2001, 2002


@pytest.fixture
async def env(copy_db: Path, tmp_path: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        await running.store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
        running.standin.user(ANA, first_name="Ana", language_code="en")
        running.standin.user(BEN, first_name="Ben", language_code="de-AT")
        running.standin.user(MEMBER, first_name="Mia", language_code="en")
        running.standin.user(GROUP_ADMIN, first_name="Gus", language_code="de")
        running.standin.user(ADMIN_ID, first_name="Root", language_code="en")
        running.standin.group(
            GROUP, title="Racing <fans> & friends", admins=[GROUP_ADMIN], supergroup=True, bot_status="left"
        )
        yield running
        assert running.errors() == []


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_start_and_help_in_english_and_german(env: BotEnv) -> None:
    en = await env.say(ANA, ANA, "/start")
    assert "Pitboard" in text(en) and "Hi Ana!" in text(en)
    de = await env.say(BEN, BEN, "/start")
    assert "Hallo Ben!" in text(de) and "Einem Fahrer folgen" in text(de)
    assert "/standings" in text(await env.say(ANA, ANA, "/help"))
    assert "Befehle" in text(await env.say(BEN, BEN, "/help"))
    assert "/broadcast" in text(await env.say(ADMIN_ID, ADMIN_ID, "/help"))


async def test_commands_are_registered_per_language(env: BotEnv) -> None:
    calls = [c for c in env.standin.calls if c.method.lower() == "setmycommands"]
    languages = {c.params.get("language_code") for c in calls}
    assert languages == {None, "de"}
    german = next(c for c in calls if c.params.get("language_code") == "de")
    assert "Fahrer" in str(german.params["commands"])


@pytest.mark.parametrize("spelling", ["bachler", "BACHLER", "Klaus Bächler"])
async def test_follow_finds_klaus_bachler_every_way(env: BotEnv, spelling: str) -> None:
    reply = await env.say(ANA, ANA, f"/follow {spelling}")
    assert "Now following Klaus Bachler" in text(reply)
    follows = await env.store.chats.follows(ANA)
    assert [f.name for f in follows] == ["Klaus Bachler"]


async def test_follow_several_matches_gives_buttons_and_none_gives_suggestions(env: BotEnv) -> None:
    several = await env.say(ANA, ANA, "/follow Schumacher")
    labels = [label for label, _ in buttons(several[0])]
    assert "Michael Schumacher (F1 1991–2012)" in labels and "Ralf Schumacher (F1 1997–2007)" in labels
    chosen = await env.press(ANA, ANA, several[0], "Ralf Schumacher")
    assert "Now following Ralf Schumacher" in text(chosen)
    typo = await env.say(ANA, ANA, "/follow Bachlr Klauss")
    assert "Now following Klaus Bachler" in text(typo)
    nothing = await env.say(ANA, ANA, "/follow zzqqxx")
    assert "I know no one called" in text(nothing)
    usage = await env.say(ANA, ANA, "/follow")
    assert "Whom should I follow" in text(usage)


async def test_follow_series_and_team_then_following_and_unfollow(env: BotEnv) -> None:
    assert "Now following GT World Challenge Europe" in text(await env.say(ANA, ANA, "/follow series gtwc-europe"))
    assert "Now following Pure Rxcing" in text(await env.say(ANA, ANA, "/follow team Pure Rxcing"))
    listing = await env.say(ANA, ANA, "/following")
    assert "GT World Challenge Europe" in text(listing) and "Pure Rxcing" in text(listing)
    after = await env.press(ANA, ANA, listing[0], "Pure Rxcing")
    assert "Pure Rxcing" not in text(after)
    assert "Stopped following GT World Challenge Europe" in text(
        await env.say(ANA, ANA, "/unfollow series gtwc-europe")
    )
    assert "follows no one yet" in text(await env.say(ANA, ANA, "/following"))


async def test_deep_link_follows_at_once(env: BotEnv) -> None:
    reply = await env.say(ANA, ANA, "/start follow_Klaus_Bachler")
    assert "Now following Klaus Bachler" in text(reply)


async def test_next_shows_local_time_car_and_co_drivers(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/follow Klaus Bachler")
    await env.say(ANA, ANA, "/timezone Europe/Vienna")
    reply = text(await env.say(ANA, ANA, "/next"))
    assert "Test GT <Series>" in reply and "Ring & Roll 6h" in reply
    assert re.search(r"1[45]:00 CES?T", reply), reply  # 13:00 UTC in Vienna
    assert "#911 · Pure Rxcing · Porsche 911 GT3 R (992) (Bronze Cup)" in reply
    assert "with Alex Malykhin" in reply
    german = text(await env.say(BEN, BEN, "/follow Bachler")) and text(await env.say(BEN, BEN, "/next"))
    assert "Nächste Sessions" in german and "Rennen" in german


async def test_next_time_tbc_and_nothing_followed(env: BotEnv) -> None:
    assert "No upcoming sessions" in text(await env.say(ANA, ANA, "/next"))
    await env.say(ANA, ANA, "/follow series test-gt")
    reply = text(await env.say(ANA, ANA, "/next"))
    assert "Later Cup" in reply and "time TBC" in reply


async def test_standings_table_with_class_team_and_series_buttons(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/follow Klaus Bachler")
    reply = await env.say(ANA, ANA, "/standings gtwc-europe bronze")
    body = text(reply)
    assert "GT World Challenge Europe 2023 — Overall — Bronze Cup" in body
    assert any(e["type"] == "pre" for e in reply[0]["entities"])
    assert "Alex Malykhin" in body and "»" in body  # the chat's driver is marked
    teams = await env.press(ANA, ANA, reply[0], "Teams")
    assert "Pure Rxcing" in text(teams) and "Team" in text(teams)
    pro = await env.press(ANA, ANA, teams[0], "Pro Cup")
    assert "— Pro Cup" in text(pro)
    f1 = await env.press(ANA, ANA, pro[0], "Formula 1")
    assert "Formula 1 2024" in text(f1) and "Max Verstappen" in text(f1)


async def test_standings_default_series_and_german(env: BotEnv) -> None:
    await env.say(BEN, BEN, "/follow Klaus Bachler")
    body = text(await env.say(BEN, BEN, "/standings"))
    assert "Fahrer" in body and "Pkt" in body
    unknown = text(await env.say(ANA, ANA, "/standings"))
    assert "Which series?" in unknown


async def test_results_podium_class_winners_and_our_drivers(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/follow Klaus Bachler")
    body = text(await env.say(ANA, ANA, "/results gtwc-europe barcelona"))
    assert "Barcelona" in body and "🥇" in body
    assert "Class winners" in body and "Bronze Cup: #188 Garage 59" in body
    assert "Klaus Bachler: NC after 19 laps" in body
    imsa = text(await env.say(ANA, ANA, "/results imsa"))
    assert "Motul Petit Le Mans" in imsa and "P19 (P2 in GTDPRO)" in imsa


async def test_driver_profile(env: BotEnv) -> None:
    reply = await env.say(ANA, ANA, "/driver Klaus Bachler")
    body = text(reply)
    assert "Klaus Bachler" in body and "#911 Pure Rxcing" in body and "#9 Pfaff Motorsports" in body
    followed = await env.press(ANA, ANA, reply[0], "Follow")
    assert "Klaus Bachler" in text(followed)


async def test_calendar(env: BotEnv) -> None:
    body = text(await env.say(ANA, ANA, "/calendar imsa"))
    assert "✅ Motul Petit Le Mans" in body
    # Detroit is past and has no results in the data: said so, and no "TBC" for a round already behind us.
    assert "• Chevrolet Detroit Sports Car Classic" in body and "no results" in body and "TBC" not in body
    assert "Which series?" in text(await env.say(ANA, ANA, "/calendar"))


async def test_settings_buttons_and_shortcuts(env: BotEnv) -> None:
    reply = await env.say(ANA, ANA, "/settings")
    assert "Time zone: UTC" in text(reply)
    zones = await env.press(ANA, ANA, reply[0], "Time zone")
    vienna = await env.press(ANA, ANA, zones[0], "Vienna")
    assert "Europe/Vienna" in text(vienna)
    languages = await env.press(ANA, ANA, (await env.press(ANA, ANA, vienna[0], "Back"))[0], "Language")
    german = await env.press(ANA, ANA, languages[0], "Deutsch")
    menu = await env.press(ANA, ANA, german[0], "Zurück")
    assert "Zeitzone: Europe/Vienna" in text(menu)
    choices = await env.press(ANA, ANA, menu[0], "Spoilerschutz")
    await env.press(ANA, ANA, choices[0], "Auf Nachfrage")
    spoiler = await env.press(ANA, ANA, (await env.say(ANA, ANA, "/settings"))[0], "Spoilerschutz")
    assert "🔘 Auf Nachfrage" in str(buttons(spoiler[0]))
    chat = await env.store.chats.get(ANA)
    assert chat is not None and chat.settings["spoiler_safe"] is True and chat.language == "de"
    assert "nicht" in text(await env.say(ANA, ANA, "/timezone Mars/Base")) or "keine Zeitzone" in text(
        await env.say(ANA, ANA, "/timezone Mars/Base")
    )
    assert "America/New_York" in text(await env.say(ANA, ANA, "/timezone america/new_york"))
    assert "English" in text(await env.say(ANA, ANA, "/language en"))


async def test_unknown_command_and_plain_text_get_an_answer(env: BotEnv) -> None:
    assert "I don't know /frobnicate" in text(await env.say(ANA, ANA, "/frobnicate now"))
    assert "Send a command" in text(await env.say(ANA, ANA, "hello there"))


async def test_expired_button_is_refused_politely(env: BotEnv) -> None:
    several = await env.say(ANA, ANA, "/follow Schumacher")
    names = {n.name: n.driver_id for n in await env.store.drivers.driver_names()}
    await env.store.drivers.merge_drivers(names["Michael Schumacher"], names["Ralf Schumacher"])  # an admin's fix
    data = next(d for label, d in buttons(several[0]) if label.startswith("Ralf Schumacher ("))
    env.standin.press_button(ANA, ANA, several[0]["message_id"], data)
    await env.quiet(0.5)
    answer = [c for c in env.standin.calls if c.method == "answerCallbackQuery"][-1]
    assert "expired" in answer.params.get("text", "")
    assert await env.store.chats.follows(ANA) == []


async def test_group_admin_rule_and_everyone_reads(env: BotEnv) -> None:
    env.standin.bot_added(GROUP, GROUP_ADMIN)
    await env.quiet()
    welcome = text(env.standin.messages(GROUP))
    assert "Racing <fans> & friends" in welcome and "/follow NAME" in welcome
    refused = await env.say(GROUP, MEMBER, "/follow Klaus Bachler")
    assert "Nur die Admins" in text(refused)  # the group speaks the language of whoever added the bot
    assert await env.store.chats.follows(GROUP) == []
    done = await env.say(GROUP, GROUP_ADMIN, "/follow Klaus Bachler")
    assert "Du folgst jetzt Klaus Bachler" in text(done)  # the group speaks its first user's language
    anonymous = env.standin.anonymous_admin_text(GROUP, "/follow team Pure Rxcing")
    assert anonymous
    await env.quiet(0.5)
    assert {f.name for f in await env.store.chats.follows(GROUP)} == {"Klaus Bachler", "Pure Rxcing"}
    assert "Nächste Sessions" in text(await env.say(GROUP, MEMBER, "/next"))
    settings_refused = await env.say(GROUP, MEMBER, "/timezone Europe/Vienna")
    assert "Nur die Admins" in text(settings_refused)


async def test_bot_removed_marks_chat_inactive(env: BotEnv) -> None:
    env.standin.bot_added(GROUP, GROUP_ADMIN)
    await env.quiet()
    env.standin.bot_removed(GROUP, GROUP_ADMIN)
    await env.quiet()
    chat = await env.store.chats.get(GROUP)
    assert chat is not None and chat.active is False


async def test_migration_to_supergroup_keeps_follows_and_settings(env: BotEnv) -> None:
    small = -4242
    env.standin.group(small, title="Small group", admins=[GROUP_ADMIN], supergroup=False, bot_status="left")
    env.standin.bot_added(small, GROUP_ADMIN)
    await env.quiet()
    await env.say(small, GROUP_ADMIN, "/follow Klaus Bachler")
    await env.say(small, GROUP_ADMIN, "/timezone Europe/Berlin")
    new_id = -1009999000111
    env.standin.migrate_to_supergroup(small, new_id)
    await env.quiet(0.5)
    moved = await env.store.chats.get(new_id)
    assert moved is not None and moved.timezone == "Europe/Berlin"
    assert [f.name for f in await env.store.chats.follows(new_id)] == ["Klaus Bachler"]
    assert await env.store.chats.get(small) is None
    assert "Klaus Bachler" in text(await env.say(new_id, GROUP_ADMIN, "/following"))


async def test_forum_topic_for_alerts(env: BotEnv) -> None:
    forum = -1005555
    env.standin.group(forum, title="Forum", admins=[GROUP_ADMIN], supergroup=True, is_forum=True, bot_status="left")
    env.standin.bot_added(forum, GROUP_ADMIN)
    await env.quiet()
    assert "/here" in text(env.standin.messages(forum))
    reply = await env.say(forum, GROUP_ADMIN, "/here", thread_id=77)
    assert reply[0].get("message_thread_id") == 77
    chat = await env.store.chats.get(forum)
    assert chat is not None and chat.settings["thread_id"] == 77


async def test_html_from_data_is_escaped(env: BotEnv) -> None:
    await env.say(ANA, ANA, '/follow team <b>&Co "x"')
    listing = text(await env.say(ANA, ANA, "/following"))
    assert '<b>&Co "x"' in listing
    await env.say(ANA, ANA, "/follow Ana <Test>")
    body = text(await env.say(ANA, ANA, "/next"))
    assert "Ana <Test>" in body and "<b>&Co" in body and "Car <7>" in body
    rejected = [c for c in env.standin.calls if c.status >= 400]
    assert rejected == []


async def test_admin_stats_import_and_broadcast(env: BotEnv, tmp_path: Path) -> None:
    assert "That command is for Pitboard's admins" in text(await env.say(ANA, ANA, "/stats"))
    stats = text(await env.say(ADMIN_ID, ADMIN_ID, "/stats"))
    assert "results" in stats
    await env.say(ANA, ANA, "/start")
    from tests.conftest import IMSA

    race = IMSA / "21-road-atlanta" / "202310141140-race-results.csv"
    reply = await env.upload(ADMIN_ID, ADMIN_ID, race.name, race.read_bytes(), "/import event=21-road-atlanta")
    assert "Nothing changed" in text(reply)
    bad = b"Pos;Car #\n1;2;3;4\n"
    failed = await env.upload(ADMIN_ID, ADMIN_ID, "broken.csv", bad, "/import season=2023")
    assert "Import failed, nothing was changed" in text(failed) and "broken.csv" in text(failed)
    sent = text(await env.say(ADMIN_ID, ADMIN_ID, "/broadcast Season <finale> this weekend!", expect=2))
    assert "Broadcasting to" in sent
    await env.quiet(0.5)
    assert any("Season <finale> this weekend!" in (m["text"] or "") for m in env.standin.messages(ANA))


EVERY_COMMAND = [
    ("/start", {"en": "Pitboard", "de": "Pitboard"}),
    ("/help", {"en": "Commands", "de": "Befehle"}),
    ("/follow Klaus Bachler", {"en": "Now following Klaus Bachler", "de": "Du folgst jetzt Klaus Bachler"}),
    ("/following", {"en": "Following", "de": "Du folgst"}),
    ("/next", {"en": "Next sessions", "de": "Nächste Sessions"}),
    ("/calendar gtwc-europe", {"en": "✅ Monza — Sat, Apr 22", "de": "✅ Monza — Sa., 22."}),
    ("/standings gtwc-europe bronze", {"en": "Driver", "de": "Fahrer"}),
    ("/standings imsa gtdpro teams", {"en": "Team", "de": "Team"}),
    ("/results gtwc-europe barcelona", {"en": "Class winners", "de": "Klassensieger"}),
    ("/driver Bachler", {"en": "Recent races", "de": "Letzte Rennen"}),
    ("/settings", {"en": "Time zone", "de": "Zeitzone"}),
    ("/timezone Europe/Vienna", {"en": "Time zone set", "de": "Zeitzone auf"}),
    ("/unfollow Klaus Bachler", {"en": "Stopped following", "de": "nicht mehr"}),
    ("/here", {"en": "general chat", "de": "allgemeinen Chat"}),
]


@pytest.mark.parametrize("where", ["private", "group"])
@pytest.mark.parametrize("language", ["en", "de"])
async def test_every_command_in_private_and_group_chats_in_both_languages(
    env: BotEnv, where: str, language: str
) -> None:
    user = 3001 if language == "en" else 3002
    env.standin.user(user, first_name="Ida", language_code=language)
    chat = user
    if where == "group":
        chat = -1003000 - user
        env.standin.group(chat, title=f"Group {language}", admins=[user], supergroup=True, bot_status="left")
        env.standin.bot_added(chat, user)
        await env.quiet()
    for command, expected in EVERY_COMMAND:
        if command == "/here" and where == "private":
            continue
        reply = text(await env.say(chat, user, command))
        assert expected[language] in reply, (command, reply)


async def test_token_never_appears_in_logs(env: BotEnv, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from tests.botenv import TOKEN

    caplog.set_level(logging.DEBUG)
    await env.say(ANA, ANA, "/start")
    await env.say(ANA, ANA, "/standings f1")
    assert caplog.records, "expected some log output at DEBUG"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN.split(":")[1] not in caplog.text
