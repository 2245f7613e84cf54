"""A local stand-in for the Telegram Bot API, for tests, benchmarks and the offline demo."""

from bot.standin.errors import ApiError
from bot.standin.limits import FloodLimits
from bot.standin.server import BotApiStandIn, Call
from bot.standin.state import Chat, User

__all__ = ["ApiError", "BotApiStandIn", "Call", "Chat", "FloodLimits", "User"]
