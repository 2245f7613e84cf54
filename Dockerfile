# Pitboard as a container: `docker build -t pitboard .`
#   docker run -d --name pitboard -v pitboard-data:/data --env-file .env -p 8080:8080 pitboard
# runs `pitboard run --webhook` (PITBOARD_WEBHOOK_URL, PITBOARD_WEBHOOK_SECRET in .env) with the SQLite store
# in the volume at /data. Long polling instead: `... pitboard run` with PITBOARD_HTTP=0.0.0.0:8080 for the
# health check. Every other command works the same: `docker run --rm -v pitboard-data:/data pitboard backup
# /data/pitboard-2026-05-01.db`. docs/operations.md has the rest (compose.yaml, reverse proxy, PostgreSQL).

# --- build: the wheel of this checkout and of every dependency; build tools stay in this stage ------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Only what the wheel is made of (the rest is also excluded by .dockerignore).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --wheel-dir /wheels .

# --- run: the installed wheel, no compilers, no sources -------------------------------------------------
FROM python:3.11-slim
# MPLCONFIGDIR: Matplotlib (the standings chart) wants a writable cache; the image's files are not ours to write.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PITBOARD_DATABASE=/data/pitboard.db \
    PITBOARD_LISTEN=0.0.0.0:8080
# The wheels are bind-mounted from the build stage (BuildKit, Docker's default builder since 23.0), so they
# never become a layer of this image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels pitboard \
    && groupadd --system --gid 10001 pitboard \
    && useradd --system --uid 10001 --gid pitboard --home-dir /data --no-create-home --shell /usr/sbin/nologin pitboard \
    && mkdir -p /data \
    && chown pitboard:pitboard /data
COPY deploy/healthcheck.py /usr/local/bin/pitboard-healthcheck
# Numeric, so an orchestrator's "run as non-root" check can see it without reading /etc/passwd.
USER 10001:10001
WORKDIR /data
# The SQLite store (and the F1 provider's HTTP cache beside it); unused with PITBOARD_DATABASE=postgresql://…
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (the process serves HTTP): /readyz is for the load balancer, which should stop sending
# updates to a replica that lost its database, not have it restarted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/bin/pitboard-healthcheck"]
ENTRYPOINT ["pitboard"]
CMD ["run", "--webhook"]
