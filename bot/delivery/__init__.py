"""Delivery: the flood gate (gate.py), Telegram's refusals as an exact table (errors.py), outage handling
(outage.py), relevance of waiting rows (relevance.py), and the outbox drain (delivery.py). The transport
is bot/delivery/transport.py."""

from bot.delivery.delivery import DRAIN_BATCH, MARK_BATCH, Delivery, RetryLater, Undeliverable
from bot.delivery.errors import Action, action_for
from bot.delivery.gate import PAID_BURST, PAID_MARGIN, FloodGate, Limits
from bot.delivery.outage import Outage

__all__ = [
    "DRAIN_BATCH",
    "MARK_BATCH",
    "PAID_BURST",
    "PAID_MARGIN",
    "Action",
    "Delivery",
    "FloodGate",
    "Limits",
    "Outage",
    "RetryLater",
    "Undeliverable",
    "action_for",
]
