"""Start-up configuration from environment variables: production refuses
unsafe defaults with a message naming what is missing; the embedded mode
keeps one generated secret so sessions survive a restart."""

from __future__ import annotations

import stat

import pytest
from flask import request

from baton.platform.app import create_app
from baton.platform.config import ConfigError

ENV_VARS = (
    "BATON_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "SERVICE_DATABASE_URL",
    "REDIS_URL",
    "BATON_INSTANCE_PATH",
    "BATON_PROXY_FIX",
    "BATON_MAX_UPLOAD_BYTES",
)
PG_URL = "postgresql://baton_app:secret@db.internal:5432/baton"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATON_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_production_without_secret_and_database_names_both(clean_env):
    clean_env.setenv("BATON_ENV", "production")
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert "SECRET_KEY" in str(caught.value)
    assert "DATABASE_URL" in str(caught.value)


def test_production_without_secret_names_only_the_secret(clean_env):
    clean_env.setenv("BATON_ENV", "production")
    clean_env.setenv("DATABASE_URL", PG_URL)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert "SECRET_KEY" in str(caught.value)
    assert "DATABASE_URL" not in str(caught.value)


def test_production_without_database_names_only_the_database(clean_env):
    clean_env.setenv("BATON_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 48)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert "DATABASE_URL" in str(caught.value)
    assert "SECRET_KEY" not in str(caught.value)


def test_production_refuses_sqlite(clean_env, tmp_path):
    clean_env.setenv("BATON_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 48)
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'baton.sqlite3'}")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        create_app()


def test_production_without_the_service_role_refuses_to_start(clean_env):
    clean_env.setenv("BATON_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 48)
    clean_env.setenv("DATABASE_URL", PG_URL)
    with pytest.raises(ConfigError, match="SERVICE_DATABASE_URL"):
        create_app()


def test_production_with_both_starts_with_secure_cookies(clean_env, tmp_path):
    clean_env.setenv("BATON_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 48)
    clean_env.setenv("DATABASE_URL", PG_URL)
    clean_env.setenv("SERVICE_DATABASE_URL", PG_URL.replace("baton_app", "baton_service"))
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    # No secret file is written when the secret comes from the environment.
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_embedded_mode_generates_the_secret_once_and_keeps_it(clean_env, tmp_path):
    instance = tmp_path / "instance"
    first = create_app()
    secret_file = instance / "secret_key"
    assert secret_file.exists()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == secret_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32
    # The embedded default database lives in the same instance folder.
    assert first.config["BATON_SETTINGS"].database_url == f"sqlite:///{instance / 'baton.sqlite3'}"

    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # A session cookie signed before the restart is still accepted after it.
    signed = first.session_interface.get_signing_serializer(first).dumps({"_user_id": "u1"})
    assert second.session_interface.get_signing_serializer(second).loads(signed) == {
        "_user_id": "u1"
    }
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_role_urls_default_to_the_database_url(clean_env):
    clean_env.setenv("DATABASE_URL", PG_URL)
    settings = create_app().config["BATON_SETTINGS"]
    assert settings.migration_database_url == PG_URL
    assert settings.service_database_url == PG_URL
    assert settings.redis_url is None


def test_upload_limit_follows_the_environment(clean_env):
    clean_env.setenv("BATON_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))
    app = create_app()
    # The limit applies to the file; the request may carry a little form data around it.
    assert 10 * 1024 * 1024 < app.config["MAX_CONTENT_LENGTH"] <= 11 * 1024 * 1024


def _probe_app(**overrides):
    app = create_app(overrides)

    @app.get("/_probe")
    def probe():
        return {"address": request.remote_addr, "scheme": request.scheme}

    return app


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_without_the_proxy_flag(clean_env):
    """Otherwise anyone could dodge the per-address login throttle by sending
    a made-up X-Forwarded-For."""
    body = _probe_app().test_client().get("/_probe", headers=FORWARDED).get_json()
    assert body == {"address": "127.0.0.1", "scheme": "http"}


def test_proxy_flag_trusts_one_hop_of_forwarded_headers(clean_env):
    clean_env.setenv("BATON_PROXY_FIX", "1")
    body = _probe_app().test_client().get("/_probe", headers=FORWARDED).get_json()
    assert body == {"address": "203.0.113.9", "scheme": "https"}
