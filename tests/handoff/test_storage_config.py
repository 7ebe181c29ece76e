"""Choosing the document store from the environment."""

from __future__ import annotations

import pytest

from baton.platform.config import ConfigError, load_settings
from baton.platform.storage import build_store


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in (
        "BATON_STORAGE",
        "BATON_S3_BUCKET",
        "BATON_S3_ENDPOINT_URL",
        "BATON_S3_KMS_KEY_ID",
        "BATON_DOCUMENTS_PATH",
        "BATON_MAX_UPLOAD_BYTES",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATON_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def test_without_a_bucket_documents_go_to_the_instance_folder(env, tmp_path):
    settings = load_settings()
    assert settings.storage_backend == "local"
    assert build_store(settings).name == "local"
    assert settings.documents_path == tmp_path.resolve() / "documents"


def test_a_bucket_selects_s3_with_its_options(env):
    env.setenv("BATON_S3_BUCKET", "acme-docs")
    env.setenv("BATON_S3_KMS_KEY_ID", "alias/baton")
    settings = load_settings()
    store = build_store(settings)
    assert (store.name, store.bucket, store.kms_key_id) == ("s3", "acme-docs", "alias/baton")


def test_s3_without_a_bucket_refuses_to_start(env):
    env.setenv("BATON_STORAGE", "s3")
    with pytest.raises(ConfigError, match="BATON_S3_BUCKET"):
        load_settings()
    env.setenv("BATON_STORAGE", "ftp")
    with pytest.raises(ConfigError, match="'s3' or 'local'"):
        load_settings()


def test_the_upload_limit_sets_the_request_cap_a_little_above_it(env):
    env.setenv("BATON_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))
    config = load_settings().flask_config()
    assert config["MAX_CONTENT_LENGTH"] == 11 * 1024 * 1024
