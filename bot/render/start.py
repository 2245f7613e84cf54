"""First contact: the welcome in private chats and groups, and /help."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render import menus
from bot.render.common import e
from storage.chats import Chat
from storage.drivers import FollowExample


def welcome(t: Translator, chat: Chat, first_name: str | None, examples: FollowExample | None) -> str:
    """`examples`: a driver, series and team the store knows (store.drivers.follow_examples); None on an empty
    store."""
    driver, series, team = (
        (e(examples.driver), e(examples.series_slug), e(examples.team)) if examples else ("NAME", "SLUG", "NAME")
    )
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


def help_text(t: Translator, *, group: bool, forum: bool, group_admin: bool, bot_admin: bool) -> str:
    """/help for the chat it is asked in: a private chat lists everything a person can do there; a group
    what every member can ask, then what its admins can change (/here only in forum groups)."""

    def line(command: menus.Command) -> str:
        argument = f" {e(t(command.argument))}" if command.argument else ""
        return f"/{command.name}{argument} — {e(t(command.description))}"

    if not group:
        lines = [f"<b>{t('Commands')}</b>"]
        lines += [line(c) for c in menus.commands_for(menus.Audience.PRIVATE)]
        lines.append(t("Add me to a group to share race updates there."))
        if bot_admin:
            admin_only = [
                c for c in menus.commands_for(menus.Audience.BOT_ADMIN) if c.audience == {menus.Audience.BOT_ADMIN}
            ]
            lines += ["", f"<b>{t('Admin')}</b>", *(line(c) for c in admin_only)]
        return "\n".join(lines)
    everyone = menus.commands_for(menus.Audience.GROUP)
    admins = [
        c for c in menus.commands_for(menus.Audience.GROUP_ADMIN) if c not in everyone and (forum or c.name != "here")
    ]
    lines = [f"<b>{t('Commands for everyone here')}</b>", *(line(c) for c in everyone), ""]
    admins_title = t("For the group's admins")
    lines.append(f"<b>{admins_title}</b>")
    lines += [line(c) for c in admins]
    if forum:
        lines.append(t("Send /here in the topic that should receive race alerts."))
    if not group_admin:
        lines.append(t("Only the group's admins can change what it follows and its settings."))
    return "\n".join(lines)
