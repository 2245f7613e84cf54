"""`python -m bot.standin --port 8081 [--no-limits]`: run the stand-in until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc

from bot.standin.server import BotApiStandIn


async def serve(args: argparse.Namespace) -> None:
    standin = BotApiStandIn(args.token, enforce_limits=not args.no_limits, bot_username=args.bot_username)
    await standin.start(args.host, args.port)
    # The stand-in keeps every call for inspection; with tens of thousands of them, a full garbage
    # collection pauses it long enough that queued sends are then counted in a burst, a 429 that
    # Telegram (which counts on arrival) would not give. Collect young objects only.
    gc.freeze()
    gc.set_threshold(50_000, 1_000, 1_000_000)
    print(f"Bot API stand-in ({standin.spec.version}) for token {standin.token}", flush=True)
    print(f"base_url      {standin.base_url}", flush=True)
    print(f"base_file_url {standin.base_file_url}", flush=True)
    print(f"control       POST {standin.url}/_standin/<action>", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await standin.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="pitboard_bot")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce Telegram's flood limits")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
