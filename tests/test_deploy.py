"""deploy/ (issue 24): each file is checked by the tool that will read it, where the tool is here —
gunicorn --check-config, systemd-analyze verify, nginx -t — and skipped with the reason otherwise."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def test_gunicorn_conf_loads_the_app(tmp_path: Path, redis_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bench import loadgen

    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(STEWARD_CONFIG=str(loadgen.service_config(tmp_path)), STEWARD_WECHAT_TOKEN=loadgen.BENCH_TOKEN,
               STEWARD_DATABASE_URL=f"sqlite:///{tmp_path / 'steward.db'}", STEWARD_REDIS_URL=redis_url,
               GUNICORN_WORKERS="2")
    out = subprocess.run([str(BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "--check-config",
                          "--print-config", "bot.wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"^workers\s+= 2$", out.stdout, re.M) and re.search(r"^timeout\s+= 10$", out.stdout, re.M)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    # The units name /opt/steward; here the checkout (its venv's gunicorn and steward must exist).
    units = []
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/opt/steward", str(ROOT)).replace(f"{ROOT}/.venv/bin", str(BIN))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    out = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "steward.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "privkey.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    shutil.copy(DEPLOY / "nginx" / "steward-proxy.conf", tmp_path / "steward-proxy.conf")
    site = ((DEPLOY / "nginx" / "steward.conf").read_text()
            .replace("/etc/nginx/steward-proxy.conf", str(tmp_path / "steward-proxy.conf"))
            .replace("/etc/ssl/steward/", f"{tmp_path}/")
            .replace("listen 80;", "listen 127.0.0.1:18080;").replace("listen 443 ssl;", "listen 127.0.0.1:18443 ssl;"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  include {tmp_path}/site.conf;\n}}\n")
    out = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "test is successful" in out.stderr, out.stderr
