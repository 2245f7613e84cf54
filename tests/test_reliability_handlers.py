"""Issue 8, the handlers' part: each finding replayed as it was found, through the real bot and the stand-in.

Finding 5 (an edited message ran its command again), the handler items of finding 9 (a lone surrogate in
/follow, an inline-message button, /timezone Factory, posting "as a channel" in a group) and what a scan
of handlers/ found besides. The splitting of long HTML (finding 10) is at the end of this file.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import ALLOWED_UPDATES
from bot.core import callbacks
from bot.delivery.textsplit import LIMIT, split_html, visible_length
from bot.ingest.importers import load_paths
from bot.standin.html_check import parse_html, utf16_len
from tests.botenv import ADMIN_ID, BotEnv, buttons, future_calendar, running_bot

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


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("europe/vienna", "Europe/Vienna"), ("Vienna", "Europe/Vienna"), ("new york", "America/New_York"), ("UTC", "UTC")],
)
async def test_timezone_accepts_names_and_cities_people_write(env: BotEnv, typed: str, zone: str) -> None:
    assert zone in text(await env.say(ANA, ANA, f"/timezone {typed}"))
    chat = await env.store.chats.get(ANA)
    assert chat is not None and chat.timezone == zone


async def test_timezone_typo_gets_a_suggestion(env: BotEnv) -> None:
    reply = await env.say(BEN, BEN, "/timezone Europe/Viena")
    assert "Meintest du" in text(reply)
    assert any("Wien" in label for label, _ in buttons(reply[-1]))  # the suggestion is one tap away


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


# ---------------------------------------------------------------- finding 10: long lines split on visible text


def check_parts(original: str, parts: list[str], limit: int) -> None:
    """Each part is valid Telegram HTML within the limit; their visible text adds up to the original's."""
    visible = []
    for part in parts:
        parsed = parse_html(part)  # raises on a split entity, a cut tag or an unbalanced one
        assert utf16_len(parsed.text) <= limit, (utf16_len(parsed.text), part)
        visible.append(parsed.text)
    assert "".join(visible) == parse_html(original).text


def test_a_long_line_of_html_is_split_into_valid_parts() -> None:
    original = "<b>" + "ab&amp;" * 2000 + "</b>"  # as found: three parts the HTML check rejected
    parts = split_html(original)
    assert len(parts) == 2  # 6,000 visible characters
    check_parts(original, parts, LIMIT)
    assert all(part.startswith("<b>") and part.endswith("</b>") for part in parts)


def test_a_long_line_is_cut_at_a_space_and_emoji_are_not_halved() -> None:
    original = "<i>" + "word 😀 " * 1500 + "</i>\n<a href='https://example.org/?a=1&amp;b=2'>" + "x" * 5000 + "</a>"
    parts = split_html(original)
    check_parts(original, parts, LIMIT)
    assert parse_html(parts[0]).text.endswith(" ")  # the cut went after a word, not inside one
    linked = [part for part in parts if "xxx" in part]
    assert len(linked) == 2  # 5,000 x in one word: a hard cut, the link reopened in the second part
    assert all(part.startswith("<a href='https://example.org/?a=1&amp;b=2'>") for part in linked)


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>&#128512;</b>&amp;") == 3  # an astral character is two UTF-16 units
    assert visible_length("<pre><code class='language-py'>ä</code></pre>") == 1
    assert split_html("😀" * LIMIT) != ["😀" * LIMIT]  # 8,192 UTF-16 units: two messages


_WORDS = st.sampled_from(
    ["a", "bc", "Bächler", " ", "  ", "\n", "😀", "&amp;", "&lt;", "&gt;", "&quot;", "&#228;", "&#x1F3C1;"]
)
_TEXT = st.lists(_WORDS, min_size=1, max_size=12).map("".join)
_TAGS = st.sampled_from(
    [
        ("<b>", "</b>"),
        ("<i>", "</i>"),
        ("<u>", "</u>"),
        ("<s>", "</s>"),
        ("<code>", "</code>"),
        ("<pre>", "</pre>"),
        ('<pre><code class="language-python">', "</code></pre>"),
        ('<a href="https://example.org/?a=1&amp;b=2">', "</a>"),
        ('<span class="tg-spoiler">', "</span>"),
        ("<tg-spoiler>", "</tg-spoiler>"),
        ("<blockquote expandable>", "</blockquote>"),
    ]
)
_HTML = st.recursive(
    _TEXT,
    lambda inner: st.one_of(
        st.tuples(_TAGS, inner).map(lambda pair: pair[0][0] + pair[1] + pair[0][1]),
        st.lists(inner, min_size=2, max_size=5).map("".join),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(original=_HTML, limit=st.integers(min_value=2, max_value=40))
def test_split_html_property(original: str, limit: int) -> None:
    whole = parse_html(original).text  # the generator makes valid Telegram HTML
    parts = split_html(original, limit)
    visible = [parse_html(part).text for part in parts]
    assert all(utf16_len(text) <= limit for text in visible)
    if not whole.strip():
        return
    assert all(text.strip() for text in visible)  # Telegram cannot send a text of only whitespace
    # The parts' text in order is the original's; only a part that would be whitespace alone is left out.
    position = 0
    for text in visible:
        found = whole.index(text, position)
        assert not whole[position:found].strip(), (whole, visible)
        position = found + len(text)
    assert not whole[position:].strip()
    if "".join(visible) != whole:  # left out only where there is next to nothing but whitespace to cut
        assert re.search(rf"\s{{{limit // 2}}}", whole) or len(whole.split()) <= 2 or limit <= 4, (whole, visible)
