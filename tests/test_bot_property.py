"""1,000 random command lines through the real bot over HTTP: never an unhandled exception, always a reply.

Limits are off on both sides (tests/botenv.py); the lines are spread over 40 private chats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.botenv import BotEnv, running_bot
from tests.databases import clone_db, drop_db

COMMANDS = [
    "start",
    "help",
    "follow",
    "unfollow",
    "following",
    "standings",
    "next",
    "calendar",
    "results",
    "driver",
    "settings",
    "timezone",
    "language",
    "here",
    "stats",
    "import",
    "broadcast",
    "nonsense",
    "Follow",
    "STANDINGS",
]
WORDS = [
    "bachler",
    "BÄCHLER",
    "series",
    "team",
    "gtwc-europe",
    "imsa",
    "f1",
    "bronze",
    "teams",
    "Bronze Cup",
    "barcelona",
    "Europe/Vienna",
    "Mars/Base",
    "de",
    "en",
    "xx",
    "<b>",
    "&amp;",
    '"x"',
    "Pure Rxcing",
    "2023",
    "follow_Klaus_Bachler",
    "follow_",
    "0",
    "-1",
    "99999999999999999999",
    "GTDPRO",
    "@pitboard_bot",
]
USERS = list(range(5000, 5040))

command_lines = st.builds(
    lambda cmd, suffix, args: f"/{cmd}{suffix} {' '.join(args)}".strip()[:4096],
    st.sampled_from(COMMANDS),
    st.sampled_from(["", "", "", "@pitboard_bot"]),
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=30), st.text(min_size=500, max_size=4000)),
        max_size=4,
    ),
)


@pytest.fixture(scope="module")
def live_bot(full_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, BotEnv]]:
    db = clone_db(full_template, tmp_path_factory.mktemp("property"), "store", keep=True)
    runner = asyncio.Runner()
    context = running_bot(db)
    env = runner.run(context.__aenter__())
    for user in USERS:
        env.standin.user(user, first_name="Fan", language_code="de" if user % 2 else "en")
    try:
        yield runner, env
    finally:
        runner.run(context.__aexit__(None, None, None))
        runner.close()
        drop_db(db)


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(line=command_lines, user=st.sampled_from(USERS))
def test_random_command_lines_always_get_a_reply(live_bot: tuple[asyncio.Runner, BotEnv], line: str, user: int) -> None:
    runner, env = live_bot
    replies = runner.run(env.say(user, user, line, timeout=15.0))
    assert replies, f"no reply to {line[:80]!r}"
    assert env.errors() == [], env.errors()
    assert all(call.status < 400 for call in env.standin.calls[-5:]), [c.response for c in env.standin.calls[-5:]]
