"""Points systems as data: the models live in bot/core/rules.py (storage builds them too); re-exported here."""

from bot.core.rules import BestResults, ChampionshipDef, ChampionshipRules, ScoringRule, SessionMatch

__all__ = ["BestResults", "ChampionshipDef", "ChampionshipRules", "ScoringRule", "SessionMatch"]
