"""People and teams (issue 10, items 2 and 3's /driver half): one resolver for /driver and /follow, /follow series
and team with their own matching and lists, /unfollow of what is not followed, and /driver's profile — end to end
through the real bot and the Bot API stand-in in English and German, plus the ranking as units.

The store is the shipped one (F1 1950–2024, IMSA 2023, GT World Challenge Europe 2023): Verstappen, Hamilton and
Schumacher are real namesakes there."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ingest.importers import load_paths
from bot.services.follow import followed_matches, parse_follow_query
from bot.services.people import Candidate, decide, resolve, team_match, weight
from storage.chats import Follow
from storage.people import SeasonCount
from storage.store import Store
from tests.botenv import BotEnv, buttons, future_calendar, running_bot

ANA, BEN = 1101, 1102  # English and German private users


@pytest.fixture
async def env(copy_db: Path, tmp_path: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        # A season with names that need escaping ("Ana <Test>", "Bert & Ernie").
        await running.store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
        running.standin.user(ANA, first_name="Ana", language_code="en")
        running.standin.user(BEN, first_name="Ben", language_code="de")
        yield running
        assert running.errors() == []


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def labels(message: dict) -> list[str]:
    return [label for label, _ in buttons(message)]


async def driver_id(store: Store, name: str) -> int:
    return next(n.driver_id for n in await store.drivers.driver_names() if n.name == name)


# --- the ranking, as units -------------------------------------------------------------------------------------


def test_weight_counts_recent_seasons_more() -> None:
    latest = {"f1": 2024}
    recent = weight([SeasonCount(1, "f1", "Formula 1", 2024, 20)], latest)
    old = weight([SeasonCount(2, "f1", "Formula 1", 2004, 20)], latest)
    assert recent == 20 and old == pytest.approx(5.0)
    # A season is as recent as its own series allows: GT World Challenge's latest season counts in full.
    assert weight([SeasonCount(3, "gt", "GT", 2023, 10)], {"gt": 2023, "f1": 2024}) == 10


def _c(name: str, weight: float, match: float = 100.0, followed: bool = False) -> Candidate:
    return Candidate("driver", abs(hash(name)) % 10_000 + 1, name, match, weight, followed)


def test_decide_takes_a_clear_leader_and_asks_between_close_ones() -> None:
    clear = decide([_c("Jos", 18.7), _c("Max", 157.7)])
    assert clear.chosen is not None and clear.chosen.name == "Max" and [c.name for c in clear.others] == ["Jos"]
    close = decide([_c("Michael", 70), _c("Ralf", 40), _c("Mick", 37)])
    assert close.chosen is None and [c.name for c in close.choices] == ["Michael", "Ralf", "Mick"]


def test_decide_prefers_whom_the_chat_follows_and_exact_names() -> None:
    followed = decide([_c("Lewis", 216), _c("Duncan", 0.01, followed=True)])
    assert followed.chosen is not None and followed.chosen.name == "Duncan"
    exact = decide([_c("Max Verstappen", 1, 100), _c("Jos Verstappen", 500, 86)])
    assert exact.chosen is not None and exact.chosen.name == "Max Verstappen"
    weak = decide([_c("Antonio Giovinazzi", 40, 40)])
    assert weak.chosen is None and not weak.choices and [c.name for c in weak.suggestions] == ["Antonio Giovinazzi"]


def test_team_match_is_token_based() -> None:
    assert team_match("WRT", "Team WRT") > 90
    assert team_match("team wrt", "Team WRT") == 100
    assert team_match("WRT", "Walkenhorst Motorsport") == 0  # every word asked must be in the name
    assert team_match("WRT", "Winward Racing") == 0
    assert team_match("pure", "Pure Rxcing") > team_match("racing", "Winward Racing Team") > 0


def test_follow_query_kinds() -> None:
    assert parse_follow_query("series imsa") == ("series", "imsa", True)
    assert parse_follow_query("team") == ("team", "", True)
    assert parse_follow_query("Serie") == ("series", "", True)
    assert parse_follow_query("Max Verstappen") == ("driver", "Max Verstappen", False)


def test_unfollow_matches_what_is_followed_only() -> None:
    follows = [Follow("driver", 1, "Max Verstappen"), Follow("team", 2, "Team WRT"), Follow("series", 3, "Formula 1")]
    assert followed_matches(follows, "driver", "verstappen", False) == [follows[0]]
    assert followed_matches(follows, "team", "WRT", True) == [follows[1]]
    assert followed_matches(follows, "driver", "xyz", False) == []
    assert followed_matches(follows, "team", "verstappen", True) == []
    both = [*follows, Follow("driver", 4, "Jos Verstappen")]
    assert followed_matches(both, "driver", "verstappen", False) == [both[0], both[3]]


@pytest.mark.parametrize(
    ("query", "chosen", "asked"),
    [
        ("verstappen", "Max Verstappen", None),
        ("Verstapen", "Max Verstappen", None),
        ("hamilton", "Lewis Hamilton", None),
        ("jos verstappen", "Jos Verstappen", None),
        ("schumacher", None, ["Michael Schumacher", "Ralf Schumacher", "Mick Schumacher"]),
        ("fittipaldi", None, ["Emerson Fittipaldi", "Christian Fittipaldi", "Pietro Fittipaldi"]),
        ("bachler", "Klaus Bachler", None),
    ],
)
async def test_resolver_on_the_real_store(store: Store, query: str, chosen: str | None, asked: list[str]) -> None:
    found = await resolve(store, "driver", query)
    assert (found.chosen.name if found.chosen else None) == chosen
    if asked:
        assert [c.name for c in found.choices][: len(asked)] == asked


async def test_resolver_teams_and_series_on_the_real_store(store: Store) -> None:
    wrt = await resolve(store, "team", "WRT")
    assert wrt.chosen is not None and wrt.chosen.name == "Team WRT"
    racing = await resolve(store, "team", "racing")
    assert racing.chosen is None and 1 < len(racing.choices) <= 6
    for words, name in (("imsa", "IMSA"), ("gtwc", "GT World"), ("f1", "Formula 1"), ("Formel 1", "Formula 1")):
        series = await resolve(store, "series", words)
        assert series.chosen is not None and name in series.chosen.name, words


# --- end to end ------------------------------------------------------------------------------------------------


async def test_driver_verstappen_is_max_without_asking_in_both_languages(env: BotEnv) -> None:
    for chat, head in ((ANA, "Recent races"), (BEN, "Letzte Rennen")):
        reply = await env.say(chat, chat, "/driver verstappen")
        body = text(reply)
        assert "Max Verstappen" in body and "Formula 1 2024" in body and head in body
        assert "Several matches" not in body and "Mehrere Treffer" not in body
        assert any("Jos Verstappen (F1 1994–2003)" in label for label in labels(reply[0]))
    # The namesake stays one tap away.
    jos = await env.press(ANA, ANA, reply[0], "Jos Verstappen")
    assert "Jos Verstappen" in text(jos) and "Minardi" in text(jos)


async def test_driver_hamilton_prefers_the_followed_one(env: BotEnv) -> None:
    body = text(await env.say(ANA, ANA, "/driver hamilton"))
    assert "Lewis Hamilton" in body and "Duncan" not in body.split("\n")[0]
    await env.say(BEN, BEN, "/following")  # the chat exists from its first command on
    await env.store.chats.follow(BEN, "driver", await driver_id(env.store, "Duncan Hamilton"))
    assert "Duncan Hamilton" in text(await env.say(BEN, BEN, "/driver hamilton")).split("\n")[0]
    await env.store.chats.unfollow(BEN, "driver", await driver_id(env.store, "Duncan Hamilton"))
    await env.store.chats.follow(BEN, "driver", await driver_id(env.store, "Lewis Hamilton"))
    german = text(await env.say(BEN, BEN, "/driver hamilton"))
    assert "Lewis Hamilton" in german.split("\n")[0] and "Nicht mehr folgen" in str(env.standin.messages(BEN)[-1])


async def test_driver_and_follow_ask_in_the_same_situations(env: BotEnv) -> None:
    asked = await env.say(ANA, ANA, "/driver schumacher")
    assert "Several matches for “schumacher”" in text(asked)
    shown = labels(asked[0])
    assert "Michael Schumacher (F1 1991–2012)" in shown and "Mick Schumacher (F1 2021–2022)" in shown
    ralf = await env.press(ANA, ANA, asked[0], "Ralf Schumacher")
    assert "Ralf Schumacher" in text(ralf) and "Formula 1 2007" in text(ralf)
    follow_asked = await env.say(BEN, BEN, "/follow schumacher")
    assert "Mehrere Treffer für „schumacher“" in text(follow_asked)
    assert [x.split(" (")[0] for x in labels(follow_asked[0])] == [x.split(" (")[0] for x in shown]
    assert "Du folgst jetzt Mick Schumacher" in text(await env.press(BEN, BEN, follow_asked[0], "Mick Schumacher"))
    # Where /driver does not ask, /follow does not either.
    assert "Now following Max Verstappen" in text(await env.say(ANA, ANA, "/follow verstappen"))
    assert "Du folgst jetzt Lewis Hamilton" in text(await env.say(BEN, BEN, "/follow hamilton"))


async def test_follow_series_by_short_name_in_both_languages(env: BotEnv) -> None:
    assert "Now following IMSA WeatherTech SportsCar Championship" in text(
        await env.say(ANA, ANA, "/follow series imsa")
    )
    assert "Du folgst jetzt GT World Challenge Europe" in text(await env.say(BEN, BEN, "/follow serie gtwc"))
    assert "Du folgst jetzt Formula 1" in text(await env.say(BEN, BEN, "/follow series Formel 1"))
    assert "Now following GT World Challenge Europe" in text(await env.say(ANA, ANA, "/follow gtwc"))  # no driver
    ferrari = await env.say(ANA, ANA, "/follow ferrari")  # a driver by surname and a team by name: ask
    assert "Several matches" in text(ferrari)
    assert [x.split(" (")[0] for x in labels(ferrari[0])] == ["Lorenzo Ferrari", "Ferrari"]
    unknown = await env.say(ANA, ANA, "/follow series nascar")
    assert "No series called “nascar”" in text(unknown) and "I know no one" not in text(unknown)
    assert "Formula 1" in labels(unknown[0])  # never a dead end: the series to tap
    listed = await env.say(BEN, BEN, "/follow series")
    assert "Welcher Serie soll dieser Chat folgen?" in text(listed)
    assert "✓ Formula 1" in labels(listed[0]) and "IMSA WeatherTech SportsCar Championship" in labels(listed[0])
    assert "Du folgst jetzt IMSA" in text(await env.press(BEN, BEN, listed[0], "IMSA"))


async def test_follow_team_matches_by_words_and_lists_the_chats_series(env: BotEnv) -> None:
    assert "Now following Team WRT" in text(await env.say(ANA, ANA, "/follow team WRT"))
    none = await env.say(BEN, BEN, "/follow team Zzyzx Motors")
    assert "Kein Team namens „Zzyzx Motors“" in text(none) and "/follow team" in text(none)
    # Not a driver called "team": the teams of the chat's series (it follows GT World Challenge), paged.
    await env.say(ANA, ANA, "/follow series gtwc-europe")
    listed = await env.say(ANA, ANA, "/follow team")
    assert "Which team? (GT World Challenge Europe 2023)" in text(listed)
    first = labels(listed[0])
    pages = int(next(label for label in first if label.startswith("1/")).split("/")[1])
    assert pages > 1 and "▶" in first and "◀" not in first and len(first) <= 12 + 2
    await env.press(ANA, ANA, listed[0], "1/", expect=0, timeout=0.3)  # the page label: same page, no error
    seen, page = set(first), listed[0]
    for _ in range(pages - 1):  # every team once, the followed one ticked
        page = (await env.press(ANA, ANA, page, "▶"))[0]
        assert "◀" in labels(page)
        seen |= set(labels(page))
    assert "✓ Team WRT" in seen and "Team WRT" not in seen and "▶" not in labels(page)
    team = next(label for label in labels(page) if label not in ("◀", "▶") and "/" not in label and "✓" not in label)
    assert f"Now following {team}" in text(await env.press(ANA, ANA, page, team))
    # A chat without a series of its own is asked whose teams to list.
    asked = await env.say(BEN, BEN, "/follow team")
    assert "Teams welcher Serie?" in text(asked)
    imsa = await env.press(BEN, BEN, asked[0], "IMSA")
    assert "Welches Team? (IMSA WeatherTech SportsCar Championship 2023)" in text(imsa)


async def test_unfollow_says_what_is_not_followed(env: BotEnv) -> None:
    await env.say(ANA, ANA, "/follow verstappen")
    nothing = await env.say(ANA, ANA, "/unfollow xyz")
    assert "This chat does not follow “xyz”." in text(nothing) and "✖ Max Verstappen" in labels(nothing[0])
    await env.say(BEN, BEN, "/follow series imsa")
    german = await env.say(BEN, BEN, "/unfollow xyz")
    assert "Dieser Chat folgt „xyz“ nicht." in text(german) and labels(german[0])
    await env.store.chats.follow(ANA, "driver", await driver_id(env.store, "Jos Verstappen"))
    both = await env.say(ANA, ANA, "/unfollow verstappen")
    assert "Several matches" in text(both) and labels(both[0]) == ["✖ Jos Verstappen", "✖ Max Verstappen"]
    await env.press(ANA, ANA, both[0], "Jos Verstappen")
    assert "Stopped following Max Verstappen" in text(await env.say(ANA, ANA, "/unfollow verstappen"))
    assert await env.store.chats.follows(ANA) == []
    assert "Dieser Chat folgt IMSA" not in text(await env.say(BEN, BEN, "/unfollow series imsa"))
    assert await env.store.chats.follows(BEN) == []


async def test_driver_profile_lines_per_season_crews_and_sessions(env: BotEnv) -> None:
    reply = await env.say(ANA, ANA, "/driver malykhin")
    body = text(reply)
    season = next(line for line in body.split("\n") if line.startswith("• GT World Challenge Europe 2023:"))
    assert "#911 Pure Rxcing" in season and "(Bronze Cup)" in season and "gtwc-europe" not in body
    mates = season.split(" — with ")[1].split(", ")
    assert len(mates) == len(set(mates)) and "Alex Malykhin" not in mates and "Joel Sturm" in mates
    assert re.search(r"GT World Challenge Europe 2023, Valencia, Race 2: P\d+ \(P1 in Bronze Cup\) 🏆", body), body
    assert "GT World Challenge Europe 2023, Valencia, Race 1:" in body  # every session, not one per event
    assert "Overall, Bronze Cup: P1" in body
    followed = await env.press(ANA, ANA, reply[0], "Follow")
    assert "Unfollow" in labels(followed[0]) and [f.name for f in await env.store.chats.follows(ANA)] == [
        "Alex Malykhin"
    ]
    unfollowed = await env.press(ANA, ANA, followed[0], "Unfollow")
    assert "Follow" in labels(unfollowed[0]) and await env.store.chats.follows(ANA) == []
    max_body = text(await env.say(BEN, BEN, "/driver max verstappen"))
    assert "• Formula 1 2024: #1 Red Bull\n" in max_body and "Red Bull, Red Bull" not in max_body
    assert "• Formula 1 2016: #33 Toro Rosso, #33 Red Bull" in max_body
    assert "Rennen" in max_body and "Letzte Rennen" in max_body and "Pkt." in max_body


async def test_driver_names_are_escaped_and_nobody_gets_suggestions(env: BotEnv) -> None:
    body = text(await env.say(ANA, ANA, "/driver Ana <Test>"))
    assert "Ana <Test>" in body  # the stand-in checks the HTML: the name went out escaped
    assert "Bert & Ernie" in body
    nobody = text(await env.say(BEN, BEN, "/driver zzqqxx"))
    assert "Ich kenne niemanden namens „zzqqxx“" in nobody
