# syntax=docker/dockerfile:1
# lpmsync as one container: `lpmsync run` (schedule, health and metrics) by default; any other
# command works too, e.g. `docker run IMAGE sync` for a Kubernetes CronJob. See docs/deploy.md.

# --- build: the lpmsync wheel and every dependency's, with the PostgreSQL extra ---------------
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lpmsync ./lpmsync
# The same install the README documents (pip install '.[postgres]'), as wheels for the next stage.
RUN pip wheel --wheel-dir /wheels '.[postgres]'

# --- runtime: the wheels installed, no compiler, no sources, a non-root user ------------------
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    LPMSYNC_CONFIG=/config/lpmsync.yaml \
    LPMSYNC_STORE__DATA_DIR=/data \
    LPMSYNC_HEALTH__HOST=0.0.0.0 \
    LPMSYNC_HEALTH__PORT=9464
# The wheels are built from this very source tree one stage up; their versions are the pins.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels 'lpmsync[postgres]' \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin lpmsync \
    && mkdir -p /data /config \
    && chown lpmsync:lpmsync /data
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LPMSYNC_HEALTH__PORT', '9464') + '/healthz', timeout=4)"]
ENTRYPOINT ["lpmsync"]
CMD ["run"]
