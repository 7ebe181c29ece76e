"""moto's S3 server over real HTTP for the document-store tests.

The app talks to it through the unchanged boto3 client (``endpoint_url``), so
signing, checksums, versioning and presigned URLs run the real library code.
Credentials are fixed fakes set in the environment for the session; any AWS
configuration of the machine is ignored.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from botocore.config import Config

from tests.support.services import free_port, wait_for_port

REGION = "us-east-1"
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/baton-test-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/baton-test-aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def fake_aws_environment() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in [*FAKE_AWS_ENV, "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(FAKE_AWS_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class MotoS3:
    endpoint_url: str

    def client(self):
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def versioned_bucket(self, prefix: str = "baton-docs") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name


@contextmanager
def moto_s3_server() -> Iterator[MotoS3]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with fake_aws_environment():
        server.start()
        try:
            wait_for_port(port)
            yield MotoS3(f"http://127.0.0.1:{port}")
        finally:
            server.stop()
