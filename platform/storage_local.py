"""The embedded document store: a folder under the instance path.

Each key is written once, through a temporary file and an atomic rename, and
the app serves downloads itself after its own authorisation check.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from baton.platform.storage import StoredObjectMissing, StoreUnavailable

CHUNK = 1024 * 1024


class LocalStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys come from ids, but a store must not trust its callers with paths.
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} leaves the document folder")
        return path

    def put(self, key: str, stream: BinaryIO, content_type: str, sha256: str) -> str | None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != sha256:
                    raise StoreUnavailable(
                        "The bytes changed while being stored (checksum mismatch); nothing was saved."
                    )
                if path.exists():
                    raise StoreUnavailable(
                        "A stored document would be overwritten; nothing was saved."
                    )
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as exc:
            raise StoreUnavailable(
                f"The document folder could not be written ({exc.strerror or exc}); nothing was saved."
            ) from exc
        return None

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise StoredObjectMissing("The stored file is missing.") from exc

    def download_url(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        version: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        return None

    def delete(self, key: str, version: str | None = None) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
