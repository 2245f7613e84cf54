"""Issue 8's sweep of handlers/ for update shapes that raise: every command in groups and forum topics (as a
member, an admin, an anonymous admin and someone posting as a channel), and every kind of button with ids that
no longer exist or never did (a keyboard from an older message, a deleted series, a removed session), through the
real bot over HTTP. Never an unhandled exception ("Sorry, something went wrong"), always valid Telegram HTML
(the stand-in rejects anything else with a 400), every button press answered.

tests/test_bot_property.py does the same for command lines in private chats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import callbacks
from tests.botenv import ADMIN_ID, BotEnv, running_bot
from tests.databases import clone_db, drop_db

MEMBER = 6100
GROUP = -1006100
FORUM = -1006200
CHANNEL = -1006300
TOPIC = 77
COMMANDS = ["start", "help", "follow", "unfollow", "following", "standings", "next", "calendar", "results", "driver"]
COMMANDS += ["settings", "timezone", "language", "here", "stats", "import", "broadcast"]
WORDS = ["bachler", "series imsa", "team", "f1 2021", "bronze", "<i>", "&", "Europe/Vienna", "de", "0", "-5", "2023"]

ids = st.one_of(st.integers(1, 5), st.integers(1, 2**53))
button_data = st.one_of(
    st.builds(callbacks.follow, st.sampled_from(["driver", "team", "series"]), ids),
    st.builds(callbacks.unfollow, st.sampled_from(["driver", "team", "series"]), ids),
    st.builds(callbacks.standings, ids, st.integers(0, 3000), st.integers(0, 50), st.booleans()),
    st.builds(
        callbacks.setting,
        st.sampled_from(callbacks.SETTING_NAMES),
        st.text("abcdefz0123456789-_.:", min_size=1, max_size=12),
    ),
    st.builds(callbacks.show_results, ids),
    st.builds(callbacks.series_command, st.sampled_from(sorted(callbacks.SERIES_COMMANDS)), ids),
    st.builds(callbacks.import_choice, st.booleans(), st.text("0123456789abcdef", min_size=8, max_size=8)),
    st.sampled_from(["v0:fo:d:1", "v1:st:1:2023:0", "v1:xx:1", "garbage"]),
)


@pytest.fixture(scope="module")
def live_bot(full_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, BotEnv]]:
    db = clone_db(full_template, tmp_path_factory.mktemp("sweep"), "store", keep=True)
    runner = asyncio.Runner()
    context = running_bot(db)
    env = runner.run(context.__aenter__())
    env.standin.user(MEMBER, first_name="Member", language_code="de")
    env.standin.user(ADMIN_ID, first_name="Admin", language_code="en")
    env.standin.group(GROUP, "Fans <&>", admins=[ADMIN_ID], anonymous_admins=[ADMIN_ID + 1], supergroup=True)
    env.standin.group(FORUM, "Forum", admins=[ADMIN_ID], supergroup=True, is_forum=True)
    for chat in (GROUP, FORUM):
        env.standin.chat(chat).members.add(MEMBER)
    try:
        yield runner, env
    finally:
        runner.run(context.__aexit__(None, None, None))
        runner.close()
        drop_db(db)


def _check(env: BotEnv) -> None:
    assert env.errors() == [], env.errors()
    # "message is not modified" is Telegram's answer to an edit that changes nothing (a stale button showing
    # what is already there): the bot takes it as done (bot/delivery/errors.py UNCHANGED).
    bad = [
        c.response
        for c in env.standin.calls[-5:]
        if c.status >= 400 and "message is not modified" not in str(c.response.get("description"))
    ]
    assert not bad, bad


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    command=st.sampled_from(COMMANDS),
    args=st.lists(st.sampled_from(WORDS), max_size=3),
    where=st.sampled_from(["group", "topic", "anonymous", "channel"]),
    who=st.sampled_from([MEMBER, ADMIN_ID]),
)
def test_commands_in_groups_and_topics_always_get_a_reply(
    live_bot: tuple[asyncio.Runner, BotEnv], command: str, args: list[str], where: str, who: int
) -> None:
    runner, env = live_bot
    line = f"/{command} {' '.join(args)}".strip()

    def inject() -> None:
        if where == "group":
            env.standin.send_text(GROUP, who, line)
        elif where == "topic":
            env.standin.send_text(FORUM, who, line, message_thread_id=TOPIC)
        elif where == "anonymous":
            env.standin.anonymous_admin_text(GROUP, line)
        else:
            env.standin.channel_text(GROUP, CHANNEL, "A <channel>", line)

    chat = FORUM if where == "topic" else GROUP
    replies = runner.run(env.after(chat, inject, timeout=15.0))
    assert replies, f"no reply to {line!r} ({where})"
    _check(env)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=button_data, where=st.sampled_from(["private", "group"]), who=st.sampled_from([MEMBER, ADMIN_ID]))
def test_buttons_with_ids_that_no_longer_exist_are_answered(
    live_bot: tuple[asyncio.Runner, BotEnv], data: str, where: str, who: int
) -> None:
    runner, env = live_bot
    chat = who if where == "private" else GROUP
    own = env.standin.messages(chat)  # the bot's messages in the chat
    if not own:
        runner.run(env.after(chat, lambda: env.standin.send_text(chat, who, "/settings"), timeout=15.0))
        own = env.standin.messages(chat)
    update = env.standin.press_button(chat, who, own[-1]["message_id"], data, stale=True)
    query_id = update["callback_query"]["id"]

    async def answered() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15.0
        while query_id not in env.standin.callback_answers and not env.errors():
            assert loop.time() < deadline, f"button {data!r} never answered"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)  # a reply or an edit may follow the answer

    runner.run(answered())
    _check(env)
