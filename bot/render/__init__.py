"""Telegram HTML for everything the bot says. Every value from data or users is escaped here."""

from __future__ import annotations

from bot.render.alerts import correction as correction
from bot.render.alerts import outcome_text as outcome_text
from bot.render.alerts import race_summary as race_summary
from bot.render.alerts import reminder as reminder
from bot.render.alerts import reminder_car as reminder_car
from bot.render.alerts import reminder_head as reminder_head
from bot.render.alerts import reminder_text as reminder_text
from bot.render.alerts import schedule_notice as schedule_notice
from bot.render.alerts import spoiler_button as spoiler_button
from bot.render.alerts import spoiler_teaser as spoiler_teaser
from bot.render.charts import chart_caption as chart_caption
from bot.render.charts import chart_png as chart_png
from bot.render.common import MAX_TABLE_ROWS as MAX_TABLE_ROWS
from bot.render.common import STATUS_SHORT as STATUS_SHORT
from bot.render.common import Rendered as Rendered
from bot.render.common import e as e
from bot.render.drivers import driver_profile as driver_profile
from bot.render.follow import follow_choices as follow_choices
from bot.render.follow import follow_none as follow_none
from bot.render.follow import follow_usage as follow_usage
from bot.render.follow import followed as followed
from bot.render.follow import following as following
from bot.render.follow import kind_label as kind_label
from bot.render.follow import unfollowed as unfollowed
from bot.render.questions import not_found as not_found
from bot.render.questions import pick_series as pick_series
from bot.render.results import car_short as car_short
from bot.render.results import race_report as race_report
from bot.render.results import result_position as result_position
from bot.render.schedule import calendar as calendar
from bot.render.schedule import car_line as car_line
from bot.render.schedule import next_sessions as next_sessions
from bot.render.schedule import session_label as session_label
from bot.render.schedule import when as when
from bot.render.settings import COMMON_ZONES as COMMON_ZONES
from bot.render.settings import LEAD_CHOICES as LEAD_CHOICES
from bot.render.settings import lead_label as lead_label
from bot.render.settings import settings as settings
from bot.render.settings import spoiler_label as spoiler_label
from bot.render.standings import standings as standings
from bot.render.start import group_welcome as group_welcome
from bot.render.start import help_text as help_text
from bot.render.start import welcome as welcome
