"""Who gets which summary of a race: the recipients from one query, the outcomes computed once.

Plain async Python over the store: no Telegram, and the time is always an argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.summary import RaceSummary, race_summary
from storage.store import Store

_NOBODY: frozenset[int] = frozenset()


@dataclass(slots=True)
class SummaryPlan:
    """One race's summaries: the outcomes computed once, and who gets which part of them."""

    summary: RaceSummary
    chats: dict[int, frozenset[int]]  # chat → its followed drivers in the race (empty: series/team follower)

    def for_chat(self, chat_id: int) -> RaceSummary:
        drivers = self.chats.get(chat_id, _NOBODY)
        outcomes = [o for o in self.summary.outcomes if o.driver_id in drivers]
        classes = {o.ride.car_class or "" for o in outcomes}
        # A title without classes (F1's) concerns every follower of the series.
        titles = [t for t in self.summary.titles if not drivers or not t.car_class or t.car_class in classes]
        return RaceSummary(self.summary.session, outcomes, self.summary.class_winners, titles)


async def plan_summaries(store: Store, session_id: int) -> SummaryPlan | None:
    chats = await recipients(store, session_id)
    everyone: set[int] = set().union(*set(chats.values())) if chats else set()
    summary = await race_summary(store, session_id, everyone)
    if summary is None:
        return None
    return SummaryPlan(summary, chats)


async def recipients(store: Store, session_id: int) -> dict[int, frozenset[int]]:
    """chat id → the followed drivers it has in this session (empty: it follows the series or a team)."""
    out: dict[int, frozenset[int]] = {}
    # Most chats have one driver in a race: they share one frozenset per driver instead of a set each.
    alone: dict[int, frozenset[int]] = {}
    for follower in await store.chats.followers_of_session(session_id):
        chat_id, driver_id = follower.chat_id, follower.driver_id
        current = out.get(chat_id, _NOBODY)
        if driver_id is None or driver_id in current:
            out.setdefault(chat_id, current)
        elif not current:
            out[chat_id] = alone.get(driver_id) or alone.setdefault(driver_id, frozenset((driver_id,)))
        else:
            out[chat_id] = current | {driver_id}
    return out
