"""Structured JSON logs, one line per event, each with the request id."""

from __future__ import annotations

import logging
import os
import sys

import structlog

from baton.platform.request_context import actor_var, request_id_var


def _add_request(_, __, event_dict):
    request_id = request_id_var.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    actor = actor_var.get()
    if actor.id and "actor" not in event_dict:
        event_dict["actor"] = f"{actor.kind}:{actor.id}"
    return event_dict


def configure_logging(level: str | None = None) -> None:
    """JSON lines on stderr; BATON_LOG_LEVEL (default INFO) sets the threshold."""
    level = (level or os.environ.get("BATON_LOG_LEVEL") or "INFO").upper()
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_request,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Werkzeug's own access line duplicates ours and is not JSON.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
