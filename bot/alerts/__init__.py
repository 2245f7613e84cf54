"""Alerts: what to tell whom about a session (planner) and what it says (summary, reminder).

Time-driven glue that renders and queues them lives in bot/jobs/.
"""
