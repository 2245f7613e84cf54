"""Catalog completeness, callback data hygiene, message splitting, locale formatting (no Telegram needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from bot.core import callbacks
from bot.delivery.textsplit import LIMIT, split_html, visible_length
from bot.i18n import Translator, pick_language

ROOT = Path(__file__).resolve().parent.parent


def _messages() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, method_map=[("**.py", "bot.i18n_extract:extract")]):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_german_translation() -> None:
    with (ROOT / "bot" / "locales" / "de" / "LC_MESSAGES" / "pitboard.po").open("rb") as handle:
        catalog = read_po(handle, locale="de")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    used = _messages()
    assert len(used) > 100
    missing = sorted(m for m in used if not translated.get(m))
    assert not missing, f"run scripts/i18n.sh and translate: {missing[:10]}"


def test_plurals_dates_and_numbers_per_locale() -> None:
    de, en = Translator("de"), Translator("en")
    assert de.n("after {n} lap", "after {n} laps", 1) == "nach 1 Runde"
    assert de.n("after {n} lap", "after {n} laps", 19) == "nach 19 Runden"
    assert en.n("after {n} lap", "after {n} laps", 19) == "after 19 laps"
    assert de.points(139.5) == "139,5" and en.points(139.5) == "139.5"
    start = datetime(2023, 10, 14, 15, 40, tzinfo=UTC)
    assert en.when(start, "Europe/Vienna") == "Sat 14 Oct 17:40"
    assert en.when(start, "America/New_York") == "Sat 14 Oct 11:40"
    assert de.when(start, "Europe/Vienna").startswith("Sa. 14. Okt. 17:40")
    # Across the DST change: 29 Oct 2023 Vienna goes back to CET, New York stays on EDT until 5 Nov.
    after = datetime(2023, 10, 30, 15, 40, tzinfo=UTC)
    assert en.when(after, "Europe/Vienna").endswith("16:40") and en.when(after, "America/New_York").endswith("11:40")
    assert pick_language("de-AT") == "de" and pick_language("fr") == "en" and pick_language(None) == "en"


def test_callback_data_is_short_ascii_and_round_trips() -> None:
    made = [
        callbacks.follow("driver", 123456),
        callbacks.unfollow("series", 3),
        callbacks.standings(2, 2023, 4, True),
        callbacks.setting("lead", "1440"),
        callbacks.series_command("next", 1),
    ]
    for data in made:
        assert data.isascii() and len(data.encode()) <= 64 and data.startswith("v1:")
        assert callbacks.parse(data) is not None
    assert callbacks.parse(made[2]) == callbacks.StandingsAction(2, 2023, 4, True)


@given(st.text(max_size=80))
def test_any_callback_data_parses_or_is_refused(data: str) -> None:
    action = callbacks.parse(data)
    assert action is None or data.startswith("v1:")


def test_forged_callbacks_are_refused() -> None:
    for data in (
        "v0:fo:d:1",
        "v1:fo:x:1",
        "v1:fo:d:-1",
        "v1:fo:d:" + "9" * 40,
        "v1:st:1:2023:999:d",
        "v1:se:rm:1",
        "v1:fo:d:1:extra",
        "",
        None,
        "v1:sc:z:1",
        "v1:fo:d:1\n",
    ):
        assert callbacks.parse(data) is None, data


def test_long_html_is_split_at_lines_without_breaking_tags() -> None:
    body = "<b>Standings</b>\n<pre>" + "\n".join(f"{i:>3} Driver &amp; Co {i}" for i in range(600)) + "</pre>"
    parts = split_html(body)
    assert len(parts) > 1
    for part in parts:
        assert visible_length(part) <= LIMIT
        assert part.count("<pre>") == part.count("</pre>")
        assert "&am" not in part.replace("&amp;", "")
    assert "".join(p.replace("<pre>", "").replace("</pre>", "") for p in parts).count("Driver") == 600
