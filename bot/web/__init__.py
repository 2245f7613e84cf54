"""The bot's small HTTP surface: the Telegram webhook, /healthz, /readyz, /metrics and /cal/<token>.ics.

One aiohttp server (server.py) with one module per route group. It runs in webhook mode (`pitboard run
--webhook`), and in polling mode only when asked (`--http HOST:PORT`).
"""
