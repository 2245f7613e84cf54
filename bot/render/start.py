"""First contact: the welcome in private chats and groups, and /help."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render.common import e
from storage.chats import Chat


def welcome(t: Translator, chat: Chat, first_name: str | None, examples: tuple[str, str, str] | None) -> str:
    """`examples`: (driver, series slug, team) the store knows (Store.follow_examples); None on an empty store."""
    driver, series, team = (e(x) for x in examples) if examples else ("NAME", "SLUG", "NAME")
    hello = t("Hi {name}!", name=e(first_name)) if first_name and not chat.is_group else t("Hi!")
    return "\n".join(
        [
            f"🏁 <b>Pitboard</b> — {t('race updates for the drivers you follow.')}",
            "",
            hello,
            t("Follow a driver: {example}", example=f"<code>/follow {driver}</code>"),
            t("A whole series: {example}", example=f"<code>/follow series {series}</code>"),
            t("A team: {example}", example=f"<code>/follow team {team}</code>"),
            "",
            t(
                "Then ask /next, /standings, /results or /driver — and I send reminders before races and a summary"
                " after them. /settings sets your time zone and language; /help lists everything."
            ),
        ]
    )


def group_welcome(t: Translator, title: str | None, forum: bool) -> str:
    lines = [
        f"🏁 <b>Pitboard</b> — {t('race reminders and results for {title}.', title=e(title or t('this group')))}",
        "",
        t(
            "Admins: follow drivers with {example}, set the time zone and language with /settings.",
            example="<code>/follow NAME</code>",
        ),
        t("Everyone can ask /next, /standings and /results."),
    ]
    if forum:
        lines.append(t("Send /here in the topic that should receive race alerts."))
    return "\n".join(lines)


def help_text(t: Translator, is_admin: bool) -> str:
    lines = [
        f"<b>{t('Commands')}</b>",
        f"/follow {t('NAME')} — {t('follow a driver (also: series SLUG, team NAME)')}",
        f"/unfollow — {t('stop following')}",
        f"/following — {t('what this chat follows')}",
        f"/next — {t('the next sessions of your drivers')}",
        f"/calendar — {t('the season calendar')}",
        f"/standings — {t('championship standings')}",
        f"/results — {t('the latest race')}",
        f"/driver {t('NAME')} — {t('a driver profile')}",
        f"/settings — {t('time zone, language, reminders, alerts')}",
        "/timezone Europe/Vienna · /language de",
    ]
    if is_admin:
        lines += ["", f"<b>{t('Admin')}</b>", "/stats · /import · /broadcast TEXT"]
    return "\n".join(lines)
