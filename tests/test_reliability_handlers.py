"""Issue 8, the handlers' part: each finding replayed as it was found, through the real bot and the stand-in.

Finding 5 (an edited message ran its command again), the handler items of finding 9 (a lone surrogate in
/follow, an inline-message button, /timezone Factory, posting "as a channel" in a group) and what a scan
of handlers/ found besides. The splitting of long HTML (finding 10) is at the end of this file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot import callbacks
from bot.app import ALLOWED_UPDATES
from bot.importers import load_paths
from tests.botenv import ADMIN_ID, BotEnv, future_calendar, running_bot

ANA, BEN = 1001, 1002  # English and German private users
GROUP = -1001234567890
MEMBER, GROUP_ADMIN = 2001, 2002
FAN_CHANNEL = -1009876543210


@pytest.fixture(params=[ALLOWED_UPDATES], ids=["app-updates"])
def allowed_updates(request: pytest.FixtureRequest) -> Sequence[str]:
    return tuple(request.param)


@pytest.fixture
async def env(copy_db: Path, tmp_path: Path, allowed_updates: Sequence[str]) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db, allowed_updates=allowed_updates) as running:
        await running.store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
        running.standin.user(ANA, first_name="Ana", language_code="en")
        running.standin.user(BEN, first_name="Ben", language_code="de-AT")
        running.standin.user(MEMBER, first_name="Mia", language_code="en")
        running.standin.user(GROUP_ADMIN, first_name="Gus", language_code="de")
        running.standin.user(ADMIN_ID, first_name="Root", language_code="en")
        running.standin.group(GROUP, title="Racing <fans> & friends", admins=[GROUP_ADMIN], supergroup=True)
        yield running
        # The error handler's list: no finding may end in "Sorry, something went wrong".
        assert running.errors() == []


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def send(env: BotEnv, chat_id: int, user_id: int, line: str) -> tuple[int, list[dict]]:
    """The user writes `line`: its message id (to edit it later) and the bot's answers."""
    sent: list[dict] = []
    answers = await env.after(chat_id, lambda: sent.append(env.standin.send_text(chat_id, user_id, line)))
    return sent[0]["message"]["message_id"], answers


def said(env: BotEnv, chat_id: int, part: str) -> int:
    return sum(part in (m.get("text") or "") for m in env.standin.messages(chat_id))


# ---------------------------------------------------------------- finding 5: edits never run a command

# Both the app's own update list and one that still asks for edits (as main did): the guard must hold
# even when Telegram delivers an edit.
EDITS_TOO = (*ALLOWED_UPDATES, "edited_message")
both_update_lists = pytest.mark.parametrize(
    "allowed_updates", [ALLOWED_UPDATES, EDITS_TOO], indirect=True, ids=["app-updates", "edits-delivered"]
)


@both_update_lists
async def test_an_edited_broadcast_does_not_go_out_twice(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/start")
    command, answers = await send(env, ADMIN_ID, ADMIN_ID, "/broadcast Race day moved to Sunday")
    assert "Broadcasting to" in text(answers)
    await env.standin.wait_for_messages(ANA, 2)  # the welcome, then the broadcast
    assert said(env, ANA, "Race day moved to Sunday") == 1
    env.standin.edit_text(ADMIN_ID, ADMIN_ID, command, "/broadcast Race day moved to Sunday!")
    await env.quiet(0.5)
    assert said(env, ANA, "Race day moved to Sunday") == 1
    assert said(env, ADMIN_ID, "Broadcasting to") == 1


@both_update_lists
async def test_an_edited_follow_does_not_follow_both(env: BotEnv) -> None:
    command, answers = await send(env, ANA, ANA, "/follow Klaus Bachler")
    assert "Now following Klaus Bachler" in text(answers)
    env.standin.edit_text(ANA, ANA, command, "/follow Alex Malykhin")
    await env.quiet(0.5)
    assert [f.name for f in await env.store.chats.follows(ANA)] == ["Klaus Bachler"]
    assert said(env, ANA, "Malykhin") == 0


@both_update_lists
async def test_an_edited_plain_text_gets_no_second_answer(env: BotEnv) -> None:
    own, answers = await send(env, ANA, ANA, "hello")
    assert "Send a command" in text(answers)
    env.standin.edit_text(ANA, ANA, own, "hello there")
    await env.quiet(0.5)
    assert said(env, ANA, "Send a command") == 1


async def test_the_bot_does_not_ask_telegram_for_edits(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/start")  # a long poll is recorded when it returns
    asked = [c.params.get("allowed_updates") for c in env.standin.calls if c.method == "getUpdates"]
    assert asked and asked[0] is not None and "edited_message" not in asked[0]
    assert "edited_message" not in ALLOWED_UPDATES


# ---------------------------------------------------------------- finding 9: the small handler items


@pytest.mark.parametrize("query", ["zz\ud800zz", "Klaus \ud800Bachler", "\udc00"])
async def test_a_lone_surrogate_in_follow_gets_a_friendly_answer_and_nothing_is_stored(env: BotEnv, query: str) -> None:
    reply = await env.say(BEN, BEN, f"/follow {query}")
    assert "Ich konnte diese Nachricht nicht lesen" in text(reply)
    assert await env.store.chats.follows(BEN) == []


async def test_a_lone_surrogate_in_a_name_or_title_is_stored_and_sent_without_an_error(env: BotEnv) -> None:
    env.standin.user(ANA, first_name="An\ud83da")
    assert "Hi An\ufffda!" in text(await env.say(ANA, ANA, "/start"))
    odd = -1001112223334
    env.standin.group(odd, title="Fans \udfff", admins=[GROUP_ADMIN], supergroup=True, bot_status="left")
    welcome = await env.after(odd, lambda: env.standin.bot_added(odd, GROUP_ADMIN))
    assert "Fans \ufffd" in text(welcome)
    chat = await env.store.chats.get(odd)
    assert chat is not None and chat.title == "Fans \ufffd"


async def test_an_inline_message_button_is_answered_without_an_error(env: BotEnv) -> None:
    update = env.standin.press_inline_button(ANA, "AgAAAInline", callbacks.follow("driver", 1))
    query_id = update["callback_query"]["id"]
    await env.quiet(0.5)
    assert "expired" in env.standin.callback_answers[query_id]["text"]
    assert await env.store.chats.follows(ANA) == []


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posixrules", "Etc/Unknown", "right/UTC", "posix/UTC"])
async def test_timezone_accepts_only_real_zones(env: BotEnv, zone: str) -> None:
    reply = await env.say(BEN, BEN, f"/timezone {zone}")
    assert "ist keine Zeitzone" in text(reply) or "kenne ich nicht" in text(reply), text(reply)
    chat = await env.store.chats.get(BEN)
    assert chat is not None and chat.timezone != zone


async def test_posting_as_a_channel_in_a_group_gets_a_proper_answer(env: BotEnv) -> None:
    refused = await env.after(
        GROUP, lambda: env.standin.channel_text(GROUP, FAN_CHANNEL, "Fan <Channel>", "/follow Klaus Bachler")
    )
    assert "Sorry, something went wrong" not in text(refused)
    assert "You are posting as Fan <Channel>" in text(refused)  # the stand-in shows the visible text
    assert await env.store.chats.follows(GROUP) == []
    for command in ("/timezone Europe/Vienna", "/language en", "/unfollow"):
        answer = await env.after(GROUP, lambda c=command: env.standin.channel_text(GROUP, FAN_CHANNEL, "Fans", c))
        assert "Fans" in text(answer)
    reads = await env.after(GROUP, lambda: env.standin.channel_text(GROUP, FAN_CHANNEL, "Fan <Channel>", "/next"))
    assert "Sorry, something went wrong" not in text(reads) and "Fan" not in text(reads)
