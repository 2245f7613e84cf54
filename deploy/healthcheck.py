"""The container's HEALTHCHECK: GET /healthz on the bot's own HTTP server; exit 0 when it answers 200.

Only the standard library (the slim image has no curl). The port is the one the bot serves on:
PITBOARD_HTTP (polling mode with the HTTP surface) if set, else PITBOARD_LISTEN (webhook mode), else 8080.
A server bound to every address (0.0.0.0, ::) is asked on the loopback address.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT = "0.0.0.0:8080"
ANY = {"", "0.0.0.0", "::", "[::]", "*"}


def healthz_url(environ: dict[str, str]) -> str:
    listen = (environ.get("PITBOARD_HTTP") or environ.get("PITBOARD_LISTEN") or DEFAULT).strip()
    host, _, port = listen.rpartition(":")
    if host in ANY:
        host = "127.0.0.1"
    return f"http://{host}:{port or 8080}/healthz"


def main() -> int:
    url = healthz_url(dict(os.environ))
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
