"""A local Jolpica-F1 stand-in: Jolpica's JSON shape (the Ergast `MRData` envelope, every value a string),
built from the Ergast CSV dump in ../shared/data/f1-ergast for any season. For tests and bench/sync.

Serves `{season}/races/`, `{season}[/{round}]/results|sprint|qualifying/` and
`{season}[/{round}]/driverstandings|constructorstandings/`, paginated by `limit` (≤ 100, default 30) and
`offset` like the real service (result rows, not races, are what `total` counts). With ETags (304 on
If-None-Match), a request count, optional enforcement of Jolpica's published limits (4/s, 500/hour) on
an injected clock, and faults: 429 with Retry-After on every Nth request, a burst of 503s, a malformed
page. Results can be held back per round and published later (`hold` / `publish`), as after a session.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.clock import SYSTEM

PREFIX = "/ergast/f1"
MAX_LIMIT = 100
DEFAULT_LIMIT = 30
KINDS = ("results", "sprint", "qualifying", "driverstandings", "constructorstandings")
SESSION_NAMES = (
    ("fp1", "FirstPractice"),
    ("fp2", "SecondPractice"),
    ("fp3", "ThirdPractice"),
    ("quali", "Qualifying"),
    ("sprint", "Sprint"),
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: ("" if v == "\\N" else v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _put(target: dict[str, Any], key: str, value: str) -> None:
    if value != "":
        target[key] = value


def _number(text: str) -> str:
    """Points as Jolpica writes them: '25', '0.5', '1.5'."""
    value = float(text or 0)
    return str(int(value)) if value == int(value) else f"{value:g}"


class ErgastData:
    """The dump, indexed for serving."""

    def __init__(self, folder: Path) -> None:
        self.races = {r["raceId"]: r for r in _rows(folder / "races.csv")}
        self.circuits = {r["circuitId"]: r for r in _rows(folder / "circuits.csv")}
        self.drivers = {r["driverId"]: r for r in _rows(folder / "drivers.csv")}
        self.constructors = {r["constructorId"]: r for r in _rows(folder / "constructors.csv")}
        self.statuses = {r["statusId"]: r["status"] for r in _rows(folder / "status.csv")}
        self.by_season: dict[int, list[dict[str, str]]] = defaultdict(list)
        for race in self.races.values():
            self.by_season[int(race["year"])].append(race)
        for races in self.by_season.values():
            races.sort(key=lambda r: int(r["round"]))
        self.rows: dict[str, dict[str, list[dict[str, str]]]] = {}
        for kind, name, order in (
            ("results", "results.csv", "positionOrder"),
            ("sprint", "sprint_results.csv", "positionOrder"),
            ("qualifying", "qualifying.csv", "position"),
            ("driverstandings", "driver_standings.csv", "position"),
            ("constructorstandings", "constructor_standings.csv", "position"),
        ):
            grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
            if (folder / name).is_file():
                for row in _rows(folder / name):
                    grouped[row["raceId"]].append(row)
            for rows in grouped.values():
                rows.sort(key=lambda r, o=order: int(r[o] or 10_000))  # type: ignore[misc]
            self.rows[kind] = grouped

    # --- the JSON objects, as Jolpica writes them ------------------------------------------------------

    def driver(self, driver_id: str) -> dict[str, Any]:
        d = self.drivers[driver_id]
        out: dict[str, Any] = {"driverId": d["driverRef"]}
        _put(out, "permanentNumber", d["number"])
        _put(out, "code", d["code"])
        out |= {"url": d["url"], "givenName": d["forename"], "familyName": d["surname"]}
        _put(out, "dateOfBirth", d["dob"])
        _put(out, "nationality", d["nationality"])
        return out

    def constructor(self, constructor_id: str) -> dict[str, Any]:
        c = self.constructors[constructor_id]
        return {
            "constructorId": c["constructorRef"],
            "url": c["url"],
            "name": c["name"],
            "nationality": c["nationality"],
        }

    def race_head(self, race: dict[str, str]) -> dict[str, Any]:
        c = self.circuits[race["circuitId"]]
        out: dict[str, Any] = {
            "season": race["year"],
            "round": race["round"],
            "url": race["url"],
            "raceName": race["name"],
            "Circuit": {
                "circuitId": c["circuitRef"],
                "url": c["url"],
                "circuitName": c["name"],
                "Location": {"lat": c["lat"], "long": c["lng"], "locality": c["location"], "country": c["country"]},
            },
            "date": race["date"],
        }
        if race["time"]:
            out["time"] = f"{race['time']}Z"
        return out

    def schedule_race(self, race: dict[str, str]) -> dict[str, Any]:
        out = self.race_head(race)
        # From 2023 a sprint weekend's second session is the sprint qualifying (the dump files it as fp2).
        sprint_qualifying = bool(race["sprint_date"]) and int(race["year"]) >= 2023
        for prefix, name in SESSION_NAMES:
            day = race[f"{prefix}_date"]
            if not day:
                continue
            if prefix == "fp2" and sprint_qualifying:
                name = "SprintQualifying"
            moment = {"date": day}
            if race[f"{prefix}_time"]:
                moment["time"] = f"{race[f'{prefix}_time']}Z"
            out[name] = moment
        return out

    def result(self, row: dict[str, str], kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"number": row["number"], "position": row["position"] or row.get("positionOrder", "")}
        if kind == "qualifying":
            out["Driver"] = self.driver(row["driverId"])
            out["Constructor"] = self.constructor(row["constructorId"])
            for q in ("q1", "q2", "q3"):
                _put(out, q.upper(), row[q])
            return out
        out["position"] = row["positionOrder"]  # Ergast's API numbers every row, finishers or not
        out["positionText"] = row["positionText"]
        out["points"] = _number(row["points"])
        out["Driver"] = self.driver(row["driverId"])
        out["Constructor"] = self.constructor(row["constructorId"])
        out["grid"] = row["grid"]
        out["laps"] = row["laps"]
        out["status"] = self.statuses.get(row["statusId"], "")
        if row["milliseconds"]:
            out["Time"] = {"millis": row["milliseconds"], "time": row["time"]}
        if row["fastestLapTime"]:
            lap: dict[str, Any] = {}
            _put(lap, "rank", row.get("rank", ""))
            _put(lap, "lap", row["fastestLap"])
            lap["Time"] = {"time": row["fastestLapTime"]}
            out["FastestLap"] = lap
        return out

    def standing(self, row: dict[str, str], kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "position", row["position"])
        out |= {"positionText": row["positionText"], "points": _number(row["points"]), "wins": row["wins"]}
        if kind == "driverstandings":
            out["Driver"] = self.driver(row["driverId"])
            out["Constructors"] = []
        else:
            out["Constructor"] = self.constructor(row["constructorId"])
        return out


@dataclass
class Faults:
    rate_limit_every: int = 0  # every Nth request answers 429
    retry_after: str = "1"
    error_burst: tuple[int, int] = (0, 0)  # (first request number, how many) answer 503
    malformed: dict[str, str] = field(default_factory=dict)  # path → truncated | html | missing-key | short | bad-total


class JolpicaStandIn:
    def __init__(
        self,
        data: Path | ErgastData,
        *,
        faults: Faults | None = None,
        monotonic: Callable[[], float] = SYSTEM.monotonic,
        enforce_limits: bool = False,
    ) -> None:
        self.data = data if isinstance(data, ErgastData) else ErgastData(data)
        self.faults = faults or Faults()
        self.monotonic = monotonic
        self.enforce_limits = enforce_limits
        self.requests: list[tuple[str, int]] = []  # (path with query, status)
        self.held: set[tuple[int, int]] = set()  # (season, round) whose results and standings are not out yet
        self.limit_violations = 0
        self._recent: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- control -----------------------------------------------------------------------------------------

    def hold(self, season: int, round_: int) -> None:
        self.held.add((season, round_))

    def publish(self, season: int, round_: int) -> None:
        self.held.discard((season, round_))

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get(PREFIX + "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{bound}{PREFIX}/"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- serving -----------------------------------------------------------------------------------------

    def _limited(self) -> float | None:
        """Seconds the caller must wait when it broke Jolpica's published limits, else None."""
        now = self.monotonic()
        while self._recent and now - self._recent[0] >= 3600:
            self._recent.popleft()
        last_second = sum(1 for t in self._recent if now - t < 1.0)
        if last_second >= 4:
            return 1.0
        if len(self._recent) >= 500:
            return 3600 - (now - self._recent[0])
        self._recent.append(now)
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        number = len(self.requests) + 1
        shown = request.path_qs
        response = self._answer(request, number)
        self.requests.append((shown, response.status))
        return response

    def _answer(self, request: web.Request, number: int) -> web.Response:
        faults = self.faults
        if self.enforce_limits:
            wait = self._limited()
            if wait is not None:
                self.limit_violations += 1
                return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": str(int(wait) + 1)})
        if faults.rate_limit_every and number % faults.rate_limit_every == 0:
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": faults.retry_after})
        first, count = faults.error_burst
        if count and first <= number < first + count:
            return web.Response(status=503, text="<html><body>503 Service Unavailable</body></html>")
        tail = request.match_info["tail"].removesuffix(".json").strip("/")
        parts = tail.split("/") if tail else []
        try:
            limit = min(int(request.query.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
            offset = int(request.query.get("offset", 0))
        except ValueError:
            return web.json_response({"detail": "bad limit or offset"}, status=400)
        doc = self._document(parts, limit, offset, str(request.url.with_query(None)))
        if doc is None:
            return web.Response(status=404, text="<html><body>Not Found</body></html>", content_type="text/html")
        fault = faults.malformed.get(request.path) or faults.malformed.get(request.path_qs)
        body = json.dumps(doc).encode()
        if fault == "truncated":
            body = body[: len(body) // 2]
        elif fault == "html":
            return web.Response(text="<!DOCTYPE html><html><body>Server Error</body></html>", content_type="text/html")
        elif fault == "missing-key":
            table = next(k for k in doc["MRData"] if k.endswith("Table"))
            doc["MRData"][table].pop(next(k for k in doc["MRData"][table] if k[0].isupper()))
            body = json.dumps(doc).encode()
        elif fault == "short":  # a row missing: fewer rows than limit and total promise
            table = next(k for k in doc["MRData"] if k.endswith("Table"))
            items = next(v for k, v in doc["MRData"][table].items() if isinstance(v, list))
            rows = next((v for v in items[-1].values() if isinstance(v, list)), None) if items else None
            (rows if rows else items).pop()
            body = json.dumps(doc).encode()
        elif fault == "bad-total":
            doc["MRData"]["total"] = str(int(doc["MRData"]["total"]) + 7)
            body = json.dumps(doc).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/json", headers={"ETag": etag})

    def _document(self, parts: list[str], limit: int, offset: int, url: str) -> dict[str, Any] | None:
        if not parts or not parts[0].isdigit():
            return None
        season = int(parts[0])
        races = self.data.by_season.get(season, [])
        round_: int | None = None
        rest = parts[1:]
        if rest and rest[0].isdigit():
            round_, rest = int(rest[0]), rest[1:]
        if len(rest) != 1:
            return None
        what = rest[0].lower()
        if round_ is not None:
            races = [r for r in races if int(r["round"]) == round_]
        envelope: dict[str, Any] = {"xmlns": "", "series": "f1", "url": url, "limit": str(limit), "offset": str(offset)}
        if what == "races":
            items = [self.data.schedule_race(r) for r in races]
            envelope["total"] = str(len(items))
            table: dict[str, Any] = {"season": str(season)}
            if round_ is not None:
                table["round"] = str(round_)
            table["Races"] = items[offset : offset + limit]
            return {"MRData": envelope | {"RaceTable": table}}
        if what not in KINDS:
            return None
        released = [r for r in races if (season, int(r["round"])) not in self.held]
        if what.endswith("standings"):
            return self._standings(envelope, what, season, round_, released, limit, offset)
        key = {"results": "Results", "sprint": "SprintResults", "qualifying": "QualifyingResults"}[what]
        flat = [(race, row) for race in released for row in self.data.rows[what].get(race["raceId"], [])]
        envelope["total"] = str(len(flat))
        page: list[dict[str, Any]] = []
        for race, row in flat[offset : offset + limit]:
            if not page or page[-1]["round"] != race["round"]:
                page.append(self.data.race_head(race) | {key: []})
            page[-1][key].append(self.data.result(row, what))
        table = {"season": str(season)}
        if round_ is not None:
            table["round"] = str(round_)
        table["Races"] = page
        return {"MRData": envelope | {"RaceTable": table}}

    def _standings(
        self,
        envelope: dict[str, Any],
        what: str,
        season: int,
        round_: int | None,
        released: list[dict[str, str]],
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        # Without a round: the standings after the latest round that has them, as the real service answers.
        with_rows = [r for r in released if self.data.rows[what].get(r["raceId"])]
        race = with_rows[-1] if with_rows else None
        rows = self.data.rows[what].get(race["raceId"], []) if race else []
        envelope["total"] = str(len(rows))
        table: dict[str, Any] = {"season": str(season)}
        if round_ is not None or race is not None:
            table["round"] = str(round_ if round_ is not None else race["round"] if race else "")
        lists = []
        if race is not None and rows[offset : offset + limit]:
            key = "DriverStandings" if what == "driverstandings" else "ConstructorStandings"
            lists.append(
                {
                    "season": str(season),
                    "round": race["round"],
                    key: [self.data.standing(r, what) for r in rows[offset : offset + limit]],
                }
            )
        table["StandingsLists"] = lists
        return {"MRData": envelope | {"StandingsTable": table}}


async def serve(data: Path, port: int = 8765) -> None:  # pragma: no cover - by hand: python -m …jolpica_standin
    import asyncio

    standin = JolpicaStandIn(data)
    print(f"Jolpica stand-in on {await standin.start(port)}")
    await asyncio.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    import asyncio
    import sys

    asyncio.run(serve(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/f1-ergast")))
