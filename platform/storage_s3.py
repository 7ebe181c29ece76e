"""The production document store: S3 through boto3.

Every object is written with server-side encryption (SSE-S3, or SSE-KMS when a
key id is configured) and a SHA-256 checksum that S3 verifies on arrival, into
a versioned bucket whose VersionId the revision row keeps. Downloads are
presigned, short-lived GET URLs, issued only after the app's authorisation
check, so the bucket itself stays private.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from baton.platform.storage import StoredObjectMissing, StoreUnavailable, content_disposition

MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404"}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


class S3Store:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        kms_key_id: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.kms_key_id = kms_key_id
        self._client = None

    @property
    def client(self):
        if self._client is None:
            config = Config(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                # S3-compatible endpoints (MinIO, moto) rarely resolve bucket subdomains.
                s3={"addressing_style": "path"} if self.endpoint_url else None,
            )
            # Credentials come from boto3's standard chain (env, profile, instance role).
            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
            )
        return self._client

    def _encryption(self) -> dict:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def put(self, key: str, stream: BinaryIO, content_type: str, sha256: str) -> str | None:
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        try:
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=stream,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
                **self._encryption(),
            )
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(
                f"The document store (S3 bucket {self.bucket}) did not accept the file"
                f" ({_reason(exc)}); nothing was saved. Try again in a few minutes."
            ) from exc
        return response.get("VersionId")

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        params = {"Bucket": self.bucket, "Key": key}
        if version:
            params["VersionId"] = version
        try:
            return self.client.get_object(**params)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
                raise StoredObjectMissing("The stored file is missing.") from exc
            raise StoreUnavailable(
                f"The document store could not be read ({_reason(exc)})."
            ) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(
                f"The document store could not be read ({_reason(exc)})."
            ) from exc

    def download_url(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        version: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
        }
        if version:
            params["VersionId"] = version
        if content_type:
            params["ResponseContentType"] = content_type
        try:
            return self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=int(expires.total_seconds())
            )
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(f"A download link could not be made ({_reason(exc)}).") from exc

    def delete(self, key: str, version: str | None = None) -> None:
        params = {"Bucket": self.bucket, "Key": key}
        if version:
            # Deleting the exact version removes it for good instead of adding a delete marker.
            params["VersionId"] = version
        self.client.delete_object(**params)
