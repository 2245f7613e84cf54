"""What the bot's commands ask, as plain async functions over the store (no Telegram here)."""

from __future__ import annotations

from bot.services.drivers import ChampionshipPlace as ChampionshipPlace
from bot.services.drivers import DriverProfile as DriverProfile
from bot.services.drivers import SeasonLine as SeasonLine
from bot.services.drivers import driver_profile as driver_profile
from bot.services.follow import FollowKind as FollowKind
from bot.services.follow import Target as Target
from bot.services.follow import find_targets as find_targets
from bot.services.follow import parse_follow_query as parse_follow_query
from bot.services.people import Candidate as Candidate
from bot.services.people import Resolution as Resolution
from bot.services.people import resolve as resolve
from bot.services.results import ResultsQuestion as ResultsQuestion
from bot.services.results import ResultsView as ResultsView
from bot.services.results import results_for_text as results_for_text
from bot.services.results import results_view as results_view
from bot.services.schedule import CarInfo as CarInfo
from bot.services.schedule import CarState as CarState
from bot.services.schedule import SeasonCalendar as SeasonCalendar
from bot.services.schedule import Weekend as Weekend
from bot.services.schedule import chat_series as chat_series
from bot.services.schedule import default_season as default_season
from bot.services.schedule import season_calendar as season_calendar
from bot.services.schedule import weekends_ahead as weekends_ahead
