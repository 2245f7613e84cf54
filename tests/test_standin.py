"""The Bot API stand-in, driven over real HTTP by python-telegram-bot and by raw requests."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import PIL.Image
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.standin import BotApiStandIn, FloodLimits
from bot.standin.html_check import EntityParseError, parse_html
from bot.standin.limits import FloodControl
from bot.standin.spec import load_spec

TOKEN = "123456:TEST"
ROOT = Path(__file__).resolve().parent.parent
ANA, BEN = 1001, 1002
GROUP = -100500


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Opt in to RetryAfter.retry_after as a timedelta (python-telegram-bot 23), which silences
    # the deprecation warning python-telegram-bot 22 raises inside RetryAfter itself.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    s = BotApiStandIn(TOKEN)
    s.private_chat(s.user(ANA, "Ana", language_code="de"))
    s.private_chat(s.user(BEN, "Ben"))
    s.group(GROUP, "Racing <fans>", admins=[ANA], supergroup=True)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[telegram.Bot]:
    b = telegram.Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url)
    async with b:
        yield b


async def api(standin: BotApiStandIn, method: str, token: str = TOKEN, **params: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{standin.url}/bot{token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


async def control(standin: BotApiStandIn, action: str, **body: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{standin.url}/_standin/{action}", json=body) as response,
    ):
        return response.status, await response.json()


def assert_carries_required_fields(obj: dict[str, Any], type_name: str) -> None:
    required = load_spec().required_fields(type_name)
    assert required, type_name
    missing = [name for name in required if name not in obj]
    assert not missing, f"{type_name} lacks {missing}: {obj}"


# ---------------------------------------------------------------------- (1) python-telegram-bot objects


async def test_ptb_get_me_send_and_edit(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.can_join_groups) == (123456, True, "pitboard_bot", True)

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Follow", callback_data="follow:44")]])
    sent = await bot.send_message(ANA, "<b>Bächler</b> &amp; Co", parse_mode="HTML", reply_markup=keyboard)
    assert sent.text == "Bächler & Co"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 7)]
    assert sent.chat.id == ANA and sent.chat.type == "private" and sent.chat.first_name == "Ana"
    assert sent.from_user is not None and sent.from_user.id == me.id
    assert sent.reply_markup == keyboard

    edited = await bot.edit_message_text("<i>done</i>", chat_id=ANA, message_id=sent.message_id, parse_mode="HTML")
    assert isinstance(edited, telegram.Message)
    assert edited.text == "done" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard, as on Telegram

    [stored] = standin.messages(ANA)
    assert stored["message_id"] == sent.message_id and stored["text"] == "done" and stored["parse_mode"] == "HTML"


async def test_returned_objects_carry_the_spec_required_fields(standin: BotApiStandIn) -> None:
    _, me = await api(standin, "getMe")
    assert_carries_required_fields(me["result"], "User")
    _, sent = await api(standin, "sendMessage", chat_id=GROUP, text="hi")
    assert_carries_required_fields(sent["result"], "Message")
    assert sent["result"]["chat"] == {"id": GROUP, "type": "supergroup", "title": "Racing <fans>"}
    _, chat = await api(standin, "getChat", chat_id=GROUP)
    assert_carries_required_fields(chat["result"], "ChatFullInfo")
    _, owner = await api(standin, "getChatMember", chat_id=GROUP, user_id=ANA)
    assert owner["result"]["status"] == "creator"
    assert_carries_required_fields(owner["result"], "ChatMemberOwner")
    standin.group(-100501, "Two admins", admins=[BEN, ANA], bot_status="administrator")
    _, admins = await api(standin, "getChatAdministrators", chat_id=-100501)
    assert [m["status"] for m in admins["result"]] == ["creator", "administrator", "administrator"]
    assert_carries_required_fields(admins["result"][1], "ChatMemberAdministrator")
    _, webhook = await api(standin, "getWebhookInfo")
    assert_carries_required_fields(webhook["result"], "WebhookInfo")
    removed = standin.bot_removed(GROUP, ANA)
    assert_carries_required_fields(removed, "Update")
    assert_carries_required_fields(removed["my_chat_member"], "ChatMemberUpdated")
    assert_carries_required_fields(removed["my_chat_member"]["new_chat_member"], "ChatMemberBanned")


# ---------------------------------------------------------------------- (2) methods and parameters


async def test_unknown_method_wrong_token_and_missing_parameter(standin: BotApiStandIn) -> None:
    assert await api(standin, "sendTelepathy", chat_id=ANA) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (await api(standin, "getMe", token="123456:WRONG"))[0] == 401
    status, body = await api(standin, "sendMessage", chat_id=ANA)
    assert (status, body["description"]) == (400, "Bad Request: text is required")
    status, body = await api(standin, "getChatMember", chat_id=ANA)
    assert (status, body["description"]) == (400, "Bad Request: user_id is required")
    assert standin.calls[-1].method == "getChatMember" and standin.calls[-1].status == 400


async def test_method_names_ignore_case_and_forms_and_get_work(standin: BotApiStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": str(ANA), "text": "form", "disable_notification": "true"}
        async with session.post(f"{standin.base_url}{TOKEN}/SENDMESSAGE", data=form) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "form"
        async with session.get(f"{standin.base_url}{TOKEN}/getchat", params={"chat_id": str(BEN)}) as response:
            assert (await response.json())["result"]["first_name"] == "Ben"
    assert standin.calls[0].method == "sendMessage"
    assert standin.calls[0].params["disable_notification"] is True


async def test_unimplemented_methods_follow_their_spec_return_type(standin: BotApiStandIn) -> None:
    assert await api(standin, "sendChatAction", chat_id=ANA, action="typing") == (200, {"ok": True, "result": True})
    status, body = await api(standin, "sendChatAction", chat_id=ANA)
    assert (status, body["description"]) == (400, "Bad Request: action is required")
    status, body = await api(standin, "sendPoll", chat_id=ANA, question="?", options=[{"text": "a"}, {"text": "b"}])
    assert (status, body["description"]) == (400, "Bad Request: method not supported by the stand-in")


# ---------------------------------------------------------------------- (3) HTML and lengths


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b" at byte offset 0'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("a < b", 'Unescaped "<", write it as "&lt;" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&", write it as "&amp;" at byte offset 4'),
        ("<i><b>x</i></b>", 'Unmatched end tag "</i>", expected "</b>" at byte offset 7'),
        ("3 > 2", 'Unescaped ">", write it as "&gt;" at byte offset 2'),
        ("Zürich <x>", 'Unsupported start tag "x" at byte offset 8'),  # bytes, not characters
        ("</b>", 'Unexpected end tag "</b>" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_bad_html_is_rejected(standin: BotApiStandIn, text: str, reason: str) -> None:
    status, body = await api(standin, "sendMessage", chat_id=ANA, text=text, parse_mode="HTML")
    assert (status, body["description"]) == (400, f"Bad Request: can't parse entities: {reason}")
    assert standin.messages() == []


def test_telegram_html_is_accepted() -> None:
    assert parse_html("<b>&amp;Co</b>").text == "&Co"
    parsed = parse_html(
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler><a href="https://x.org/?a=1&b=2">l</a>'
        '<pre><code class="language-python">p</code></pre><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><s><u>&#60;&#x3E;&quot;</u></s>'
    )
    assert parsed.text == 'stlpq👍<>"'
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [
        ("spoiler", 0, 1),
        ("spoiler", 1, 1),
        ("text_link", 2, 1),
        ("pre", 3, 1),
        ("expandable_blockquote", 4, 1),
        ("custom_emoji", 5, 2),  # UTF-16 units
        ("strikethrough", 7, 3),
        ("underline", 7, 3),
    ]
    assert parsed.entities[2]["url"] == "https://x.org/?a=1&b=2"
    assert parsed.entities[3]["language"] == "python"
    with pytest.raises(EntityParseError):
        parse_html("<b><a href='x'>y</b></a>")


async def test_length_is_counted_after_entities_in_utf16(standin: BotApiStandIn) -> None:
    for text, parse_mode in [("a" * 4096, None), ("&amp;" * 4096, "HTML"), ("<b>" + "a" * 4096 + "</b>", "HTML")]:
        standin.reset_limits()
        status, body = await api(standin, "sendMessage", chat_id=ANA, text=text, parse_mode=parse_mode)
        assert status == 200, body
    assert standin.messages()[1]["text"] == "&" * 4096
    for text, parse_mode in [("a" * 4097, None), ("&lt;" * 4097, "HTML"), ("😀" * 2049, None)]:
        status, body = await api(standin, "sendMessage", chat_id=ANA, text=text, parse_mode=parse_mode)
        assert (status, body["description"]) == (400, "Bad Request: message is too long")
    for text in ["", "  ", "<b></b>"]:
        status, body = await api(standin, "sendMessage", chat_id=ANA, text=text, parse_mode="HTML")
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await api(standin, "sendPhoto", chat_id=ANA, photo="https://x.org/a.jpg", caption="c" * 1025)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


# ---------------------------------------------------------------------- (4) flood limits


async def test_one_message_per_second_per_private_chat(standin: BotApiStandIn) -> None:
    assert (await api(standin, "sendMessage", chat_id=ANA, text="1"))[0] == 200
    status, body = await api(standin, "sendMessage", chat_id=ANA, text="2")
    assert status == 429
    assert body["parameters"]["retry_after"] >= 1
    assert body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    assert (await api(standin, "sendMessage", chat_id=BEN, text="other chat"))[0] == 200
    assert (standin.sent_count, standin.rejected_429) == (2, 1)


async def test_twenty_messages_per_minute_per_group(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    for i in range(20):
        await bot.send_message(GROUP, f"lap {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "lap 21")
    assert standin.calls[-1].response["parameters"]["retry_after"] >= 59


async def test_thirty_messages_per_second_overall(standin: BotApiStandIn) -> None:
    users = [2000 + i for i in range(31)]
    for user_id in users:
        standin.private_chat(user_id)
    statuses = [(await api(standin, "sendMessage", chat_id=u, text="hi"))[0] for u in users]
    assert statuses == [200] * 30 + [429]
    # Each admitted send carries the moment the limiter counted it (rates are measured on these); the
    # refused one was never counted.
    sends = [c for c in standin.calls if c.method == "sendMessage"]
    assert all(c.counted_at is not None and c.counted_at <= c.time for c in sends[:30])
    assert sends[30].counted_at is None


async def test_limits_can_be_switched_off() -> None:
    async with BotApiStandIn(TOKEN, enforce_limits=False) as standin:
        standin.group(GROUP, "G")
        for user_id in range(2000, 2040):
            standin.private_chat(user_id)
        statuses = [(await api(standin, "sendMessage", chat_id=u, text="x"))[0] for u in range(2000, 2040)]
        statuses += [(await api(standin, "sendMessage", chat_id=GROUP, text="x"))[0] for _ in range(25)]
        statuses += [(await api(standin, "sendMessage", chat_id=2000, text="x"))[0] for _ in range(3)]
        assert set(statuses) == {200} and standin.rejected_429 == 0


def test_windows_slide() -> None:
    clock = [0.0]
    limits = FloodLimits(global_count=3, global_window=1.0, group_count=2, group_window=60.0)
    flood = FloodControl(limits, lambda: clock[0])
    assert flood.acquire(1) is None
    clock[0] = 0.4
    assert flood.acquire(1) == 1  # 0.6 s left, said as whole seconds
    clock[0] = 1.0
    assert flood.acquire(1) is None
    assert flood.acquire(-5) is None
    assert flood.acquire(-6) is None
    assert flood.acquire(2) == 1  # 3 per second overall
    clock[0] = 30.0
    assert flood.acquire(-5) is None
    assert flood.acquire(-5) == 31  # the send at t=1.0 leaves the 60 s window at t=61
    clock[0] = 61.0
    assert flood.acquire(-5) is None


# ---------------------------------------------------------------------- (5) getUpdates


async def test_long_polling_offset_and_timeout(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    injected = standin.send_text(ANA, ANA, "/follow bachler")
    [update] = await poll
    assert time.monotonic() - started < 1
    assert update.update_id == injected["update_id"]
    assert update.message is not None and update.message.text == "/follow bachler"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 7

    # Unconfirmed updates come again; a higher offset confirms and drops them.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    standin.send_text(ANA, ANA, "a")
    standin.send_text(ANA, ANA, "b")
    assert len(await bot.get_updates(offset=update.update_id + 1, limit=1)) == 1
    assert len(standin.pending_updates()) == 2

    last = standin.pending_updates()[-1]["update_id"]
    started = time.monotonic()
    assert await bot.get_updates(offset=last + 1, timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2
    assert standin.pending_updates() == []


async def test_allowed_updates_filter(standin: BotApiStandIn) -> None:
    standin.send_text(ANA, ANA, "hello")
    standin.bot_removed(GROUP, ANA)
    _, body = await api(standin, "getUpdates", allowed_updates=["my_chat_member"])
    assert [list(u)[1] for u in body["result"]] == ["my_chat_member"]
    standin.send_text(BEN, BEN, "not wanted")
    _, body = await api(standin, "getUpdates", offset=body["result"][-1]["update_id"] + 1)
    assert body["result"] == []  # the filter sticks, like Telegram's


# ---------------------------------------------------------------------- (6) a real Application


async def test_application_answers_ping_and_buttons(standin: BotApiStandIn) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])
        await update.effective_message.reply_html("<b>pong</b>", reply_markup=keyboard)

    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text("pong again")

    app = ApplicationBuilder().token(TOKEN).base_url(standin.base_url).base_file_url(standin.base_file_url).build()
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CallbackQueryHandler(again))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            standin.send_text(ANA, ANA, "/ping")
            [reply] = await standin.wait_for_messages(ANA, timeout=5)
            assert (reply["text"], reply["entities"][0]["type"]) == ("pong", "bold")

            standin.send_text(GROUP, BEN, "/ping@other_bot")
            standin.send_text(GROUP, BEN, "/ping@pitboard_bot")
            [group_reply] = await standin.wait_for_messages(GROUP, timeout=5)
            assert group_reply["text"] == "pong"

            pressed = standin.press_button(ANA, ANA, reply["message_id"], "again")
            for _ in range(100):
                if standin.messages(ANA)[0]["text"] == "pong again":
                    break
                await asyncio.sleep(0.02)
            assert standin.messages(ANA)[0]["text"] == "pong again"
            assert standin.callback_answers[pressed["callback_query"]["id"]]["text"] == "ok"
        finally:
            await app.updater.stop()
            await app.stop()
    assert len(standin.messages(GROUP)) == 1  # the command for another bot was ignored


# ---------------------------------------------------------------------- (7) faults


async def test_injected_faults_become_ptb_exceptions(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    standin.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter):
        await bot.send_message(ANA, "x")
    assert standin.calls[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    standin.fail_next("sendMessage", error_code=403)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ANA, "x")
    standin.fail_next("sendMessage", error_code=500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(ANA, "x")
    standin.fail_next("getChat", error_code=502)
    with pytest.raises(NetworkError):
        await bot.get_chat(ANA)
    standin.fail_next("sendMessage", error_code=400, migrate_to_chat_id=-100777)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(ANA, "x")
    assert migrated.value.new_chat_id == -100777
    standin.fail_next("sendMessage", chat_id=BEN, error_code=403)
    await bot.send_message(ANA, "not Ben")
    with pytest.raises(Forbidden):
        await bot.send_message(BEN, "Ben")
    assert [m["text"] for m in standin.messages()] == ["not Ben"]
    with pytest.raises(ValueError, match="not a Bot API"):
        standin.fail_next("sendTelepathy")


async def test_migrated_group_answers_with_the_new_id(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    standin.group(-5001, "Old group", admins=[ANA])
    old_msg, new_msg = standin.migrate_to_supergroup(-5001, -1005001)
    assert old_msg["message"]["migrate_to_chat_id"] == -1005001
    assert new_msg["message"]["migrate_from_chat_id"] == -5001
    assert new_msg["message"]["chat"]["type"] == "supergroup"
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-5001, "hello")
    assert migrated.value.new_chat_id == -1005001
    assert standin.calls[-1].response["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert (await bot.send_message(-1005001, "hello")).chat.type == "supergroup"


async def test_slow_call_times_out_but_still_happens(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    standin.slow_next("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(ANA, "late", read_timeout=0.1)
    [late] = await standin.wait_for_messages(ANA, timeout=2)
    assert late["text"] == "late"  # the classic duplicate-after-timeout situation


# ---------------------------------------------------------------------- (8) files


async def test_document_upload_get_file_and_download(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    content = bytes(range(256)) * 10
    update = Update.de_json(standin.send_document(ANA, ANA, "laps.csv", content, caption="my laps"), bot)
    assert update is not None and update.message is not None and update.message.document is not None
    assert update.message.document.file_name == "laps.csv" and update.message.caption == "my laps"
    file = await bot.get_file(update.message.document.file_id)
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content

    sent = await bot.send_document(
        BEN, b"standings", filename="standings.txt", caption="<i>table</i>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "standings.txt" and sent.caption == "table"
    assert standin.file_content(sent.document.file_id) == b"standings"
    again = await bot.get_file(sent.document.file_id)
    assert bytes(await again.download_as_bytearray()) == b"standings"
    image = io.BytesIO()
    PIL.Image.new("RGB", (64, 48)).save(image, format="PNG")  # Telegram (and the stand-in) refuse non-images
    photo = await bot.send_photo(GROUP, image.getvalue(), caption="podium")
    assert photo.photo and photo.caption == "podium"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


# ---------------------------------------------------------------------- (9) membership


async def test_removed_blocked_and_unknown_chats(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    removed = Update.de_json(standin.bot_removed(GROUP, ANA), bot)
    assert removed is not None and removed.my_chat_member is not None
    assert removed.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "hi")
    standin.bot_added(GROUP, ANA)
    await bot.send_message(GROUP, "back")

    standin.user_blocked_bot(BEN)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(BEN, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(99999, "hi")


async def test_anonymous_admin_and_forum_topics(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    standin.group(-100600, "Forum", admins=[ANA], anonymous_admins=[BEN], supergroup=True, is_forum=True)
    update = Update.de_json(standin.anonymous_admin_text(-100600, "/standings", message_thread_id=3), bot)
    assert update is not None and update.message is not None
    assert update.message.from_user is not None and update.message.from_user.id == 1087968824
    assert update.message.sender_chat is not None and update.message.sender_chat.id == -100600
    assert update.message.is_topic_message and update.message.message_thread_id == 3
    sent = await bot.send_message(-100600, "table", message_thread_id=3)
    assert sent.message_thread_id == 3 and standin.messages(-100600)[0]["message_thread_id"] == 3
    ben = await bot.get_chat_member(-100600, BEN)
    assert ben.status == "administrator" and isinstance(ben, telegram.ChatMemberAdministrator) and ben.is_anonymous


# ---------------------------------------------------------------------- edits, deletes, buttons, commands


async def test_edits_and_deletes(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(ANA, "same", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("same", chat_id=ANA, message_id=sent.message_id, reply_markup=keyboard)
    assert standin.calls[-1].response["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ANA, message_id=sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_reply_markup(chat_id=ANA, message_id=sent.message_id)
    assert isinstance(edited, telegram.Message) and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ANA, message_id=999)
    incoming = standin.send_text(ANA, ANA, "mine")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", chat_id=ANA, message_id=incoming["message"]["message_id"])
    assert await bot.delete_message(ANA, sent.message_id)
    assert standin.messages(ANA) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ANA, sent.message_id)
    bad = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(BEN, "too much data", reply_markup=bad)


async def test_buttons_and_callback_answers(standin: BotApiStandIn) -> None:
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    _, sent = await api(standin, "sendMessage", chat_id=ANA, text="Sure?", reply_markup=markup)
    message_id = sent["result"]["message_id"]
    with pytest.raises(ValueError, match="no button"):
        standin.press_button(ANA, ANA, message_id, "no")
    update = standin.press_button(ANA, ANA, message_id, "yes")
    assert_carries_required_fields(update["callback_query"], "CallbackQuery")
    query_id = update["callback_query"]["id"]
    assert (await api(standin, "answerCallbackQuery", callback_query_id=query_id, text="Done"))[0] == 200
    assert standin.callback_answers[query_id]["text"] == "Done"
    status, body = await api(standin, "answerCallbackQuery", callback_query_id=query_id)
    assert (status, "query is too old" in body["description"]) == (400, True)


async def test_commands_per_scope_and_language(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("follow", "Follow a driver")])
    await bot.set_my_commands([("folgen", "Fahrer folgen")], language_code="de")
    await bot.set_my_commands([("admin", "Admin")], scope=telegram.BotCommandScopeAllChatAdministrators())
    assert [c.command for c in await bot.get_my_commands()] == ["follow"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["folgen"]
    assert standin.commands({"type": "all_chat_administrators"}) == [{"command": "admin", "description": "Admin"}]
    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Not valid!", "x")])


# ---------------------------------------------------------------------- (10) control over HTTP


async def test_http_control_api(standin: BotApiStandIn, bot: telegram.Bot) -> None:
    status, body = await control(standin, "send_text", chat_id=ANA, user_id=ANA, text="/ping")
    assert status == 200 and body["result"]["message"]["text"] == "/ping"
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.text == "/ping"

    await control(standin, "group", chat_id=-100700, title="Remote", admins=[BEN])
    await control(standin, "fail_next", method="sendMessage", error_code=403)
    with pytest.raises(Forbidden):
        await bot.send_message(-100700, "x")
    await bot.send_message(-100700, "y")
    _, body = await control(standin, "messages", chat_id=-100700)
    assert [m["text"] for m in body["result"]] == ["y"]
    _, body = await control(standin, "calls", method="sendMessage")
    assert [c["status"] for c in body["result"]] == [403, 200]
    _, body = await control(standin, "send_document", chat_id=BEN, user_id=BEN, filename="a.txt", content_text="hi")
    assert body["result"]["message"]["document"]["file_size"] == 2
    assert (await control(standin, "bot_removed", chat_id=-100700, by_user_id=BEN))[0] == 200
    assert (await control(standin, "stats"))[1]["result"]["sent_count"] == 1
    assert (await control(standin, "teleport"))[0] == 404
    status, body = await control(standin, "send_text", chat_id=ANA)
    assert status == 400 and "TypeError" in body["description"]


async def test_cli_serves_and_prints_base_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.standin", "--port", "0", "--no-limits", cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 10)).decode() for _ in range(2)]
        base_url = lines[1].split()[1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with aiohttp.ClientSession() as session, session.get(f"{base_url}{TOKEN}/getMe") as response:
            assert (await response.json())["result"]["username"] == "pitboard_bot"
    finally:
        process.terminate()
        await process.wait()
