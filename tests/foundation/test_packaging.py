"""The layout of DESIGN.md section 1 holds: areas import as ``baton.<area>``,
the standard ``platform`` module is never shadowed, bare area imports are
refused by the linter, and the deployment files start a working server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _python_at_root(code: str) -> subprocess.CompletedProcess:
    """``python -c`` puts the current folder first on sys.path, exactly the
    situation in which a ``platform/__init__.py`` would shadow the stdlib."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_import_platform_from_the_repository_root_is_the_standard_library():
    result = _python_at_root(
        "import json, platform, boto3;"
        "print(json.dumps({'file': platform.__file__, 'system': platform.system(),"
        " 'boto3': boto3.__version__}))"
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert not Path(found["file"]).resolve().is_relative_to(ROOT)
    assert found["system"]  # e.g. "Linux": the real module answers
    assert found["boto3"]


def test_areas_import_under_the_baton_namespace_from_the_repository_root():
    result = _python_at_root(
        "import baton.platform, baton.tenants, baton.workers, baton.client_portal, baton.sourcing,"
        " baton.procurement, baton.provider_console;"
        "from baton.platform.app import create_app;"
        "print(list(baton.platform.__path__)[0])"
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == ROOT / "platform"


def test_platform_folder_has_no_init_file():
    assert not (ROOT / "platform" / "__init__.py").exists()


@pytest.mark.parametrize("statement", ["import tenants", "from workers import relay"])
def test_ruff_refuses_bare_area_imports(statement):
    # Checked through stdin with a file name inside the repository, so ruff
    # applies the project's configuration without leaving a file behind for a
    # concurrent `ruff check .` to trip over.
    result = subprocess.run(
        [
            str(VENV_BIN / "ruff"),
            "check",
            "--no-cache",
            "--stdin-filename",
            str(ROOT / "tenants" / "_bare_import_probe.py"),
            "-",
        ],
        input=f"{statement}\n\nprint({statement.split()[1]})\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TID251" in result.stdout


def test_ruff_accepts_the_namespaced_import():
    result = subprocess.run(
        [
            str(VENV_BIN / "ruff"),
            "check",
            "--no-cache",
            "--stdin-filename",
            str(ROOT / "tenants" / "_bare_import_probe.py"),
            "-",
        ],
        input="from baton import tenants\n\nprint(tenants)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout


def test_gunicorn_serves_the_app_with_the_infra_configuration(tmp_path):
    """The production entry point: infra/gunicorn.conf.py binds $PORT and the
    web process answers /healthz and serves pages; its log lines are JSON too."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "BATON_ENV": "development",
        "BATON_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'baton.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(ROOT / "infra" / "gunicorn.conf.py"),
            "baton.platform.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok"}
        # A page is logged with its request id (successful health probes are not).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
            assert response.status == 200
            request_id = response.headers["X-Request-ID"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == request_id for line in lines), err
    assert any(line.get("logger", "").startswith("gunicorn") for line in lines), err
    # Gunicorn's own plain-text format ("[INFO] Booting worker ...") never appears.
    plain = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    assert not [line for line in plain if "[INFO]" in line or "Booting worker" in line], err
