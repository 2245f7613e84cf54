"""Packaging: the Docker image, compose.yaml, the systemd units and the container's health check."""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp import web

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
BOTS = ["bot-1", "bot-2", "bot-3"]


# --- Dockerfile ----------------------------------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = pending.partition(" ")
            found.append((word.upper(), rest.strip()))
            pending = ""
    return found


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_dockerfile_is_slim_multi_stage_and_not_root() -> None:
    steps = instructions(ROOT / "Dockerfile")
    bases = [args.split()[0] for word, args in steps if word == "FROM"]
    assert len(bases) == 2, "a build stage and a run stage"
    assert all(re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", base) for base in bases), bases
    run = final_stage(steps)
    users = [args for word, args in run if word == "USER"]
    assert users, "the run stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and (not user.isdigit() or int(user) >= 1000), users[-1]
    assert ("WORKDIR", "/data") in run
    assert any(word == "VOLUME" and "/data" in args for word, args in run)
    assert ("ENTRYPOINT", '["pitboard"]') in run
    assert ("CMD", '["run", "--webhook"]') in run
    # The build tools stay in the build stage: the run stage copies no sources and builds nothing.
    copies = [args for word, args in run if word == "COPY"]
    assert copies == ["deploy/healthcheck.py /usr/local/bin/pitboard-healthcheck"], copies
    assert not any(word == "RUN" and "pip wheel" in args for word, args in run)
    (check,) = [args for word, args in run if word == "HEALTHCHECK"]
    assert check.endswith('CMD ["python", "/usr/local/bin/pitboard-healthcheck"]')
    # Everything the stages copy exists.
    for word, args in steps:
        if word == "COPY" and "--from" not in args:
            assert (ROOT / args.split()[0]).exists(), args


def test_dockerignore_keeps_secrets_and_data_out() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv*", ".env", "*.db", "*.db-*"} <= patterns
    # …but not what the image is built from.
    assert not {"bot", "storage", "handlers", "deploy", "README.md", "pyproject.toml"} & patterns


def docker_unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        why = (info.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no Docker daemon: `docker info` exited {info.returncode} ({why})"
    return None


def test_docker_image_builds_with_healthcheck_and_user() -> None:
    reason = docker_unavailable()
    if reason:
        pytest.skip(reason)
    tag = f"pitboard-test:{uuid.uuid4().hex[:12]}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    try:
        (image,) = json.loads(subprocess.run(["docker", "inspect", tag], capture_output=True, check=True).stdout)
        config = image["Config"]
        assert config["User"] == "10001:10001"
        assert config["Healthcheck"]["Test"] == ["CMD", "python", "/usr/local/bin/pitboard-healthcheck"]
        assert config["Entrypoint"] == ["pitboard"] and config["Cmd"] == ["run", "--webhook"]
        assert config["WorkingDir"] == "/data" and "/data" in config["Volumes"]
        helped = subprocess.run(["docker", "run", "--rm", tag, "--help"], capture_output=True, text=True, timeout=120)
        assert helped.returncode == 0 and "backup" in helped.stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=120)


# --- the health check the image runs -------------------------------------------------------------------


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PITBOARD_")}
    return subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")], env=clean | env, capture_output=True, text=True, timeout=30
    )


@pytest.fixture
async def healthz() -> AsyncIterator[tuple[int, list[int]]]:
    """A local server answering /healthz with the status the test puts in the list."""
    status = [200]

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status[0], text="ok" if status[0] == 200 else "stopping")

    server = web.Application()
    server.router.add_get("/healthz", answer)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, status
    finally:
        await runner.cleanup()


async def test_healthcheck_asks_healthz_on_the_bots_port(healthz: tuple[int, list[int]]) -> None:
    port, status = healthz
    ok = await asyncio.to_thread(healthcheck, {"PITBOARD_LISTEN": f"0.0.0.0:{port}"})
    assert ok.returncode == 0, ok.stderr
    # Polling mode serves the surface on PITBOARD_HTTP, which wins.
    ok = await asyncio.to_thread(healthcheck, {"PITBOARD_HTTP": f"127.0.0.1:{port}", "PITBOARD_LISTEN": "0.0.0.0:1"})
    assert ok.returncode == 0, ok.stderr
    status[0] = 503
    sick = await asyncio.to_thread(healthcheck, {"PITBOARD_LISTEN": f"0.0.0.0:{port}"})
    assert sick.returncode == 1 and "answered 503" in sick.stderr


def test_healthcheck_fails_when_nothing_listens() -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago, and nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = healthcheck({"PITBOARD_LISTEN": f"127.0.0.1:{port}"})
    assert result.returncode == 1 and f"http://127.0.0.1:{port}/healthz" in result.stderr


# --- compose.yaml and the proxy ---------------------------------------------------------------------------


def test_compose_runs_replicas_on_one_postgres_behind_a_proxy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "standin", "proxy", *BOTS}
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.startswith("pgdata:") for v in postgres["volumes"]) and "pgdata" in compose["volumes"]
    standin = services["standin"]
    assert standin["entrypoint"] == ["python", "-m", "bot.standin"] and "healthcheck" in standin

    databases = set()
    for name in BOTS:
        bot = services[name]
        env = bot["environment"]
        assert bot["command"] == ["run", "--webhook"]
        database = urlsplit(env["PITBOARD_DATABASE"])
        assert database.scheme == "postgresql" and database.hostname == "postgres"
        databases.add(env["PITBOARD_DATABASE"])
        assert urlsplit(env["TELEGRAM_API_URL"]).hostname == "standin"
        assert urlsplit(env["PITBOARD_WEBHOOK_URL"]).hostname == "proxy"
        assert env["PITBOARD_WEBHOOK_SECRET"]
        assert bot["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "standin": {"condition": "service_healthy"},
        }
        assert "ports" not in bot, "only the proxy reaches the replicas"
    assert len(databases) == 1, "every replica on the same PostgreSQL"
    proxy = services["proxy"]
    assert proxy["depends_on"] == {name: {"condition": "service_healthy"} for name in BOTS}
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]

    # The proxy forwards exactly the webhook path and the calendar feeds, to every replica.
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    webhook_path = urlsplit(services["bot-1"]["environment"]["PITBOARD_WEBHOOK_URL"]).path
    assert re.findall(r"^\s*handle (\S+) \{", caddy, re.M) == [webhook_path, "/cal/*"]
    upstreams = re.findall(r"reverse_proxy ([^{]+)\{", caddy)
    assert upstreams and all(u.split() == [f"{b}:8080" for b in BOTS] for u in upstreams)
    assert "/metrics" not in re.sub(r"#[^\n]*", "", caddy)


# --- systemd ------------------------------------------------------------------------------------------------


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_systemd_units_run_hardened_as_their_own_user() -> None:
    bot = unit("pitboard.service")["Service"]
    assert bot["User"] == "pitboard" and bot["Group"] == "pitboard"
    assert bot["EnvironmentFile"] == "/etc/pitboard/pitboard.env"
    assert bot["ExecStart"].split()[1:] == ["run"]
    assert bot["Restart"] == "on-failure"
    data = bot["WorkingDirectory"]
    assert Path(bot["Environment"].split("=", 1)[1]).parent == Path(data)
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": data,
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert bot[key] == value, key

    backup = unit("pitboard-backup.service")["Service"]
    assert backup["Type"] == "oneshot" and backup["User"] == "pitboard"
    assert "pitboard backup " in backup["ExecStart"] and backup["ReadWritePaths"] == data
    assert backup["NoNewPrivileges"] == "yes" and backup["ProtectSystem"] == "strict"
    timer = unit("pitboard-backup.timer")
    assert timer["Timer"]["Unit"] == "pitboard-backup.service" and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze on PATH")
    pitboard = shutil.which("pitboard") or str(Path(sys.executable).parent / "pitboard")
    assert Path(pitboard).exists()
    # The units name /opt/pitboard/bin/pitboard, which verify wants to find: point them at this install.
    for source in DEPLOY.glob("pitboard*.*"):
        if source.suffix in (".service", ".timer"):
            text = source.read_text(encoding="utf-8").replace("/opt/pitboard/bin/pitboard", pitboard)
            (tmp_path / source.name).write_text(text, encoding="utf-8")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["pitboard-backup.service", "pitboard-backup.timer", "pitboard.service"]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


# --- docs/operations.md's alert rules ------------------------------------------------------------------------


def test_alert_rules_parse_and_name_only_metrics_in_the_table() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Monitoring: what to alert on", 1)[1]
    table = set(re.findall(r"^\| `(pitboard_\w+)` \|", section, re.M))
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    rules = yaml.safe_load(block)["groups"][0]["rules"]
    assert len({r["alert"] for r in rules if "alert" in r}) >= 8
    recorded = {r["record"] for r in rules if "record" in r}
    used = set()
    for rule in rules:
        for name in re.findall(r"\b(pitboard[:_]\w+)", rule["expr"]):
            # A histogram is exposed as _bucket/_sum/_count series of its one name.
            used.add(re.sub(r"_(bucket|sum|count)$", "", name))
    assert used - recorded <= table, used - recorded - table
    assert {"pitboard_outbox_rows", "pitboard_telegram_429_total", "pitboard_messages_sent_total"} <= used
