"""What the bot's commands ask, as plain async functions over the store (no Telegram here)."""

from __future__ import annotations

from bot.services.drivers import DriverProfile as DriverProfile
from bot.services.drivers import SeasonCar as SeasonCar
from bot.services.drivers import driver_profile as driver_profile
from bot.services.follow import FollowKind as FollowKind
from bot.services.follow import FollowSearch as FollowSearch
from bot.services.follow import Target as Target
from bot.services.follow import find_targets as find_targets
from bot.services.follow import parse_follow_query as parse_follow_query
from bot.services.follow import suggestions as suggestions
from bot.services.results import RaceReport as RaceReport
from bot.services.results import race_report as race_report
from bot.services.schedule import CarInfo as CarInfo
from bot.services.schedule import CarState as CarState
from bot.services.schedule import SeasonCalendar as SeasonCalendar
from bot.services.schedule import Weekend as Weekend
from bot.services.schedule import chat_series as chat_series
from bot.services.schedule import default_season as default_season
from bot.services.schedule import season_calendar as season_calendar
from bot.services.schedule import weekends_ahead as weekends_ahead
