"""Configuration read from environment variables, once, at app creation."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment cannot start the app safely."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance: Path) -> str:
    """Embedded mode keeps one generated secret so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        # Created with mode 0600 from the start: never readable by others, even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Settings:
    env: str
    instance_path: Path
    secret_key: str
    database_url: str
    migration_database_url: str
    service_database_url: str
    redis_url: str | None
    mail_from: str
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    public_url: str
    # Document store (docs/storage.md): "local" folder or "s3" through boto3.
    storage_backend: str = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_kms_key_id: str | None = None
    documents_path: Path | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    download_url_seconds: int = 120
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "BATON_SETTINGS": self,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.production,
            "WTF_CSRF_ENABLED": True,
            "WTF_CSRF_TIME_LIMIT": None,
            "BOOTSTRAP_SERVE_LOCAL": True,
            "API_TITLE": "Baton API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            # A little above the document limit so the form's other fields fit and the
            # service can name the file; anything larger is cut off with a 413.
            "MAX_CONTENT_LENGTH": self.max_upload_bytes + 1024 * 1024,
            # Number of reverse proxies in front (nginx: 1); 0 ignores X-Forwarded-*.
            "BATON_PROXY_FIX": int(os.environ.get("BATON_PROXY_FIX") or 0),
            # A signed-in session ends after this long without a request, and
            # this long after sign-in whatever happens (tenants/sessions.py).
            "BATON_SESSION_IDLE_HOURS": float(os.environ.get("BATON_SESSION_IDLE_HOURS") or 12),
            "BATON_SESSION_MAX_DAYS": float(os.environ.get("BATON_SESSION_MAX_DAYS") or 14),
            # How long a supplier's order link works after release (a change order
            # or the buyer's revocation ends it sooner).
            "BATON_SUPPLIER_LINK_DAYS": float(os.environ.get("BATON_SUPPLIER_LINK_DAYS") or 90),
            # Stripe (docs/billing.md). No key: usage is metered, nothing is pushed.
            "BATON_STRIPE_API_KEY": os.environ.get("BATON_STRIPE_API_KEY", "").strip() or None,
            # Another address for api.stripe.com (the test suite's stand-in).
            "BATON_STRIPE_API_BASE": os.environ.get("BATON_STRIPE_API_BASE", "").strip() or None,
            # Another address for meter-events.stripe.com (the v2 meter event stream);
            # unset: the API base when that is set, else Stripe's own.
            "BATON_STRIPE_METER_EVENTS_BASE": os.environ.get(
                "BATON_STRIPE_METER_EVENTS_BASE", ""
            ).strip()
            or None,
            "BATON_STRIPE_WEBHOOK_SECRET": os.environ.get("BATON_STRIPE_WEBHOOK_SECRET", "").strip()
            or None,
            # The thin-payload event destination's own signing secret (meter error reports).
            "BATON_STRIPE_THIN_WEBHOOK_SECRET": os.environ.get(
                "BATON_STRIPE_THIN_WEBHOOK_SECRET", ""
            ).strip()
            or None,
            # Days an unpaid invoice may stay unpaid before the provider's console
            # turns read-only (suppliers' links and clients' portals keep working).
            "BATON_BILLING_GRACE_DAYS": float(os.environ.get("BATON_BILLING_GRACE_DAYS") or 14),
            **self.extra,
        }


def _storage_settings(instance: Path) -> dict:
    bucket = os.environ.get("BATON_S3_BUCKET", "").strip() or None
    backend = os.environ.get("BATON_STORAGE", "").strip().lower() or ("s3" if bucket else "local")
    if backend not in ("s3", "local"):
        raise ConfigError(f"BATON_STORAGE must be 's3' or 'local', not {backend!r}.")
    if backend == "s3" and not bucket:
        raise ConfigError("BATON_STORAGE=s3 needs BATON_S3_BUCKET to be set.")
    return {
        "storage_backend": backend,
        "s3_bucket": bucket,
        "s3_endpoint_url": os.environ.get("BATON_S3_ENDPOINT_URL", "").strip() or None,
        "s3_region": os.environ.get("BATON_S3_REGION", "").strip() or None,
        "s3_kms_key_id": os.environ.get("BATON_S3_KMS_KEY_ID", "").strip() or None,
        "documents_path": Path(os.environ.get("BATON_DOCUMENTS_PATH") or instance / "documents"),
        "max_upload_bytes": int(os.environ.get("BATON_MAX_UPLOAD_BYTES") or 50 * 1024 * 1024),
        "download_url_seconds": int(os.environ.get("BATON_DOWNLOAD_URL_SECONDS") or 120),
    }


def load_settings(overrides: dict | None = None) -> Settings:
    """Build settings from the environment; production refuses unsafe defaults."""
    overrides = dict(overrides or {})
    env = os.environ.get("BATON_ENV", "development").strip().lower()
    instance = Path(
        overrides.pop("instance_path", None)
        or os.environ.get("BATON_INSTANCE_PATH")
        or Path.cwd() / "instance"
    ).resolve()
    database_url = overrides.pop("database_url", None) or os.environ.get("DATABASE_URL", "").strip()
    secret_key = os.environ.get("SECRET_KEY", "").strip()

    if env == "production":
        missing = [
            name
            for name, value in (("SECRET_KEY", secret_key), ("DATABASE_URL", database_url))
            if not value
        ]
        if missing:
            raise ConfigError(
                "BATON_ENV=production needs "
                + " and ".join(missing)
                + " to be set; refusing to start."
            )
        if database_url.startswith("sqlite"):
            raise ConfigError("BATON_ENV=production needs a PostgreSQL DATABASE_URL, not SQLite.")
        if not os.environ.get("SERVICE_DATABASE_URL", "").strip():
            # Without it jobs and operator commands would connect as the app
            # role, see no tenant rows under RLS and silently do nothing.
            raise ConfigError(
                "BATON_ENV=production needs SERVICE_DATABASE_URL (the baton_service role that "
                "jobs, the relay and operator commands use); refusing to start."
            )

    if not database_url:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'baton.sqlite3'}"
    if not secret_key:
        secret_key = _instance_secret(instance)

    settings = Settings(
        env=env,
        instance_path=instance,
        secret_key=secret_key,
        database_url=database_url,
        migration_database_url=os.environ.get("MIGRATION_DATABASE_URL", "").strip() or database_url,
        service_database_url=os.environ.get("SERVICE_DATABASE_URL", "").strip() or database_url,
        redis_url=os.environ.get("REDIS_URL", "").strip() or None,
        mail_from=os.environ.get("MAIL_FROM", "Baton <no-reply@baton.localhost>"),
        smtp_host=os.environ.get("SMTP_HOST", "").strip() or None,
        smtp_port=int(os.environ.get("SMTP_PORT", "587")),
        smtp_username=os.environ.get("SMTP_USERNAME") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        smtp_starttls=_bool(os.environ.get("SMTP_STARTTLS"), default=True),
        public_url=os.environ.get("BATON_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        **_storage_settings(instance),
    )
    for key, value in overrides.items():
        if hasattr(settings, key) and key != "extra":
            setattr(settings, key, value)
        else:
            settings.extra[key] = value
    return settings
