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


def test_processes_starting_at_once_on_a_new_folder_agree_on_one_key(tmp_path: Path):
    """Each writes a key of its own; the first to link it into place wins, the others read
    it (a shared temporary name made one of them fail, a replace gave each its own key)."""
    env = {"DJANGO_SETTINGS_MODULE": "dailypapers.settings", "PATH": "/usr/bin:/bin"}
    env["DAILYPAPERS_DATA_DIR"] = str(tmp_path)
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", f"import django; django.setup(); {PRINT}"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    answers = [start.communicate(timeout=120) for start in starts]
    assert [start.returncode for start in starts] == [0] * 6, [err for _, err in answers]
    keys = {out.split()[0] for out, _ in answers}
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert sorted(p.name for p in tmp_path.iterdir() if "secret" in p.name) == ["secret_key"]


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


URLS_PROBE = """
from django.conf import settings as s
db = s.DATABASES["default"]
print(db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["OPTIONS"])
print(db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"])
print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD)
print(s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT)
"""


def _probe(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "dailypapers.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_database_and_mail_urls_become_django_settings(tmp_path: Path):
    env = {
        "DAILYPAPERS_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 60,
        "DATABASE_URL": "postgres://papers:p%40ss@db.example.org:6543/daily?sslmode=require",
        "DATABASE_CONN_MAX_AGE": "30",
        "EMAIL_URL": "submission://mailer:s3cret@mail.example.org",
    }
    probe = _probe(env, URLS_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == [
        "django.db.backends.postgresql daily papers p@ss db.example.org 6543"
        " {'sslmode': 'require'}",
        "30 True",
        "django.core.mail.backends.smtp.EmailBackend mail.example.org 587 mailer s3cret",
        "True False 30",
    ]
    tls = _probe({**env, "EMAIL_URL": "smtp://mail.example.org:465?ssl=true"}, URLS_PROBE)
    assert tls.stdout.splitlines()[2:] == [
        "django.core.mail.backends.smtp.EmailBackend mail.example.org 465  ",
        "False True 30",
    ]
    # the spellings earlier versions read keep working after an upgrade
    old_ssl = _probe({**env, "EMAIL_URL": "smtp+ssl://mail.example.org:465"}, URLS_PROBE)
    assert old_ssl.stdout.splitlines()[2:] == tls.stdout.splitlines()[2:]
    old_tls = _probe({**env, "EMAIL_URL": "smtp+tls://mailer:s3cret@mail.example.org"}, URLS_PROBE)
    assert old_tls.stdout.splitlines()[2:] == probe.stdout.splitlines()[2:]
    old_console = _probe(
        {**env, "EMAIL_URL": "consolemail://"},
        "from django.conf import settings as s; print(s.EMAIL_BACKEND)",
    )
    assert old_console.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
    default = _probe(
        {"DAILYPAPERS_DATA_DIR": str(tmp_path)},
        "from django.conf import settings as s; print(s.EMAIL_BACKEND)",
    )
    assert default.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_bad_urls_are_named_without_their_secrets(tmp_path: Path):
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 60}
    probe = "import django; django.setup()"
    database = _probe({**env, "DATABASE_URL": "mongodb://reader:hunter2@db/papers"}, probe)
    assert database.returncode != 0
    assert "DATABASE_URL is not a database URL: Scheme 'mongodb://' is unknown" in database.stderr
    assert "hunter2" not in database.stderr
    scheme = _probe({**env, "EMAIL_URL": "imap://mailer:hunter2@mail.example.org"}, probe)
    assert scheme.returncode != 0
    assert "EMAIL_URL must start with one of smtp://, submission://" in scheme.stderr
    assert "not 'imap'" in scheme.stderr and "hunter2" not in scheme.stderr
    port = _probe({**env, "EMAIL_URL": "smtp://mail.example.org:twenty-five"}, probe)
    assert port.returncode != 0
    assert "EMAIL_URL is not a mail URL" in port.stderr


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


def test_the_embedded_database_keeps_its_connections_like_postgresql(tmp_path: Path):
    """SQLite connections are reused between requests too (opening one, with its pragmas,
    cost about a twentieth of a search), for the same seconds and with the same health
    check; 0 opens one per request."""
    code = 'from django.conf import settings as s; db = s.DATABASES["default"]\n'
    code += 'print(db["ENGINE"], db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"])'
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path)}
    default = _probe(env, code)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["django.db.backends.sqlite3", "60", "True"]
    off = _probe({**env, "DATABASE_CONN_MAX_AGE": "0"}, code)
    assert off.stdout.split() == ["django.db.backends.sqlite3", "0", "True"]
