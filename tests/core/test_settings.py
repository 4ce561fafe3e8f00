"""Settings: every one documented, safe defaults, secrets handled."""

import re
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from dailypapers.conf import ENV_VARS
from tests.conftest import REPO

PRINT = "from django.conf import settings as s; print(s.SECRET_KEY, s.DEBUG, s.PRODUCTION)"


def _settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT}"],
        env={"DJANGO_SETTINGS_MODULE": "dailypapers.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_every_setting_is_documented():
    doc = (REPO / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)`", doc, re.MULTILINE))
    read = set(ENV_VARS)
    assert read, "settings read no environment variables?"
    assert read - documented == set(), "settings read but not documented"
    assert documented - read == set(), "documented but never read"


def test_debug_is_off_by_default():
    assert settings.DEBUG is False or "DEBUG" in __import__("os").environ


def test_embedded_mode_generates_a_secret_key_once(tmp_path: Path):
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path)}
    first = _settings(env)
    second = _settings(env)
    assert first.returncode == 0, first.stderr
    key, debug, production = first.stdout.split()
    assert len(key) >= 50
    assert (debug, production) == ("False", "False")
    assert second.stdout == first.stdout
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path):
    env = {
        "DAILYPAPERS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dailypapers",
    }
    result = _settings(env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DATABASE_URL is set" in result.stderr
    assert not (tmp_path / "secret_key").exists()
    ok = _settings({**env, "SECRET_KEY": "k" * 60})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split()[2] == "True"


def test_bad_values_are_named(tmp_path: Path):
    result = _settings({"DAILYPAPERS_DATA_DIR": str(tmp_path), "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


HTTPS_ENV = {
    "SITE_URL": "https://papers.example.org",
    "ALLOWED_HOSTS": "papers.example.org",
    "SECRET_KEY": "k" * 10 + "-Zq8#vW2!pL5@xN7$rT4%yB1^mC6&hJ3*dF9(gK0)sA" + "e" * 20,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
}

HTTPS_PROBE = """
import django; django.setup()
from django.test import Client
c = Client(HTTP_HOST="papers.example.org")
r = c.get("/papers/trending")
print(r.status_code, r["Location"])
r = c.get("/healthz", secure=True)
print("hsts", r.get("Strict-Transport-Security"))
print("csp", r.get("Content-Security-Policy"))
from django.conf import settings as s
print("cookies", s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)
"""


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "manage", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path):
    """`manage check --deploy` with production settings behind https: no warning at all.
    The same settings on plain http fail it (HSTS, redirect and Secure cookies missing)."""
    env = {**HTTPS_ENV, "DAILYPAPERS_DATA_DIR": str(tmp_path)}
    checked = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    plain = _manage(
        {**env, "SITE_URL": "http://papers.example.org"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert plain.returncode != 0
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(
        re.findall(r"security\.W\d+", plain.stderr + plain.stdout)
    )


def test_https_site_redirects_and_sends_hsts(tmp_path: Path):
    env = {**HTTPS_ENV, "DAILYPAPERS_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL")  # SQLite: /healthz reads the database
    env["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    probe = subprocess.run(
        [sys.executable, "-c", HTTPS_PROBE],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    lines = probe.stdout.splitlines()
    assert lines[0] == "301 https://papers.example.org/papers/trending", probe.stderr
    assert lines[1] == "hsts max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in lines[2] and "script-src 'self'" in lines[2]
    assert lines[3] == "cookies True True"
