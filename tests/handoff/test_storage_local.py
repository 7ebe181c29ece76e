"""The local document store of the embedded mode."""

from __future__ import annotations

import hashlib
import io

import pytest

from baton.platform.storage import StoreUnavailable, document_key
from baton.platform.storage_local import LocalStore


def test_put_then_open_returns_the_same_bytes(tmp_path):
    store = LocalStore(tmp_path)
    data = b"%PDF-1.4 local"
    store.put(
        "tenants/t/documents/d/r",
        io.BytesIO(data),
        "application/pdf",
        hashlib.sha256(data).hexdigest(),
    )
    with store.open("tenants/t/documents/d/r") as stream:
        assert stream.read() == data
    assert store.download_url("tenants/t/documents/d/r", "a.pdf", expires=None) is None


def test_a_checksum_mismatch_stores_nothing(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(StoreUnavailable, match="checksum"):
        store.put("k/1", io.BytesIO(b"abc"), "text/plain", hashlib.sha256(b"abd").hexdigest())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_existing_key_is_never_overwritten(tmp_path):
    store = LocalStore(tmp_path)
    digest = hashlib.sha256(b"one").hexdigest()
    store.put("k/1", io.BytesIO(b"one"), "text/plain", digest)
    with pytest.raises(StoreUnavailable):
        store.put("k/1", io.BytesIO(b"one"), "text/plain", digest)


def test_keys_cannot_leave_the_folder(tmp_path):
    store = LocalStore(tmp_path / "docs")
    with pytest.raises(ValueError):
        store.put("../escape", io.BytesIO(b"x"), "text/plain", hashlib.sha256(b"x").hexdigest())


def test_an_unwritable_folder_is_reported_as_the_store_failing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = LocalStore(blocker)
    with pytest.raises(StoreUnavailable, match="nothing was saved"):
        store.put("k/1", io.BytesIO(b"x"), "text/plain", hashlib.sha256(b"x").hexdigest())


def test_document_keys_come_from_ids_only():
    import uuid

    t, d, r = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert document_key(t, d, r) == f"tenants/{t}/documents/{d}/{r}"
