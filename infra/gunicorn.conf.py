"""Gunicorn settings for the web process.

    gunicorn -c infra/gunicorn.conf.py 'baton.platform.app:create_app()'

Everything comes from the environment, so the same file serves a Procfile
platform, a systemd unit and a container:

    PORT               port to listen on (default 8000)
    HOST               address to bind (default 0.0.0.0; the systemd unit
                       sets 127.0.0.1 because nginx is in front)
    WEB_CONCURRENCY    worker processes (default 2 x CPU cores + 1)
    GUNICORN_THREADS   threads per worker (default 1; above 1 gunicorn uses
                       its gthread worker)
    GUNICORN_TIMEOUT   seconds before a silent worker is killed (default 60)
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (off by default)

Behind a reverse proxy: gunicorn only trusts X-Forwarded-* headers from the
addresses in FORWARDED_ALLOW_IPS (gunicorn's own variable, default
127.0.0.1,::1), and it uses them only for the URL scheme. The client address
that login throttling counts comes from Werkzeug's ProxyFix, which the app
adds when BATON_PROXY_FIX is set to the number of proxies in front of it
(1 for the nginx example in infra/nginx/). Never set either for a port that
the internet can reach directly: anyone could then claim any address.

Every database connection pool is per worker (5 connections, up to 15 under
load), so WEB_CONCURRENCY x 15 must stay below PostgreSQL's max_connections
together with the worker and relay processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os

import structlog

bind = [
    f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - a platform router or nginx is in front
]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
# nginx keeps upstream connections open; a short keep-alive frees workers sooner.
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files on tmpfs: a full or slow disk must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented choice
# Not preloaded: each worker builds its own app and engines after the fork, so
# no database connection is ever shared between processes.
preload_app = False
# Gunicorn's runtime control socket (gunicornc) sits at one path per user, so
# two servers on a host would fight over it; on only when a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# The app writes one JSON line per request, with the request id, method, path,
# status and duration (baton.platform.web). A second access line from gunicorn
# would only repeat it without the request id, so gunicorn's is off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker) -> None:
    """Once the worker has built the app: full collections stop walking it."""
    from baton.platform.heap import freeze_startup_heap

    freeze_startup_heap()


def _json_formatter() -> logging.Formatter:
    """Gunicorn's own lines (start, worker boot, timeouts) as JSON, like the app's."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": _json_formatter}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}
