# syntax=docker/dockerfile:1
# lpmsync as one container: `lpmsync run` (schedule, health and metrics) by default; any other
# command works too, e.g. `docker run IMAGE sync` for a Kubernetes CronJob, or `docker run IMAGE
# demo` for the whole product against the bundled sandbox. See docs/deploy.md.

# The Python base of both stages: the official slim image. Another image with `python`, `pip`,
# `useradd` and the same layout works too, e.g. one built from Debian packages where Docker Hub
# is out of reach (docs/deploy.md: --build-arg PYTHON_IMAGE=...).
ARG PYTHON_IMAGE=python:3.12-slim

# --- build: a venv holding exactly uv.lock's runtime packages, the PostgreSQL extra, lpmsync ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/lpmsync
RUN pip install 'uv==0.13.9'
WORKDIR /src
# The dependencies from the lock file alone first: this layer is rebuilt only when it changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --extra postgres --no-editable --no-install-project
COPY README.md ./
COPY lpmsync ./lpmsync
# The packages' own test suites (numpy's, matplotlib's, ...) never run here: 22 MB not copied on.
RUN uv sync --frozen --no-dev --extra postgres --no-editable \
    && find /opt/lpmsync -depth -type d -name tests -exec rm -rf {} +

# --- runtime: that venv on the same Python, no uv, no sources, a non-root user ----------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/lpmsync/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    LPMSYNC_CONFIG=/config/lpmsync.yaml \
    LPMSYNC_STORE__DATA_DIR=/data \
    LPMSYNC_HEALTH__HOST=0.0.0.0 \
    LPMSYNC_HEALTH__PORT=9464
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin lpmsync \
    && mkdir -p /data /config \
    && chown lpmsync:lpmsync /data
COPY --from=build /opt/lpmsync /opt/lpmsync
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LPMSYNC_HEALTH__PORT', '9464') + '/healthz', timeout=4)"]
ENTRYPOINT ["lpmsync"]
CMD ["run"]
