"""Settings checked at start: each bad value refused in one line, by every entry point; check-config."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import SETTINGS
from app.settings import read

PROJECT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BY_NAME = {setting.name: setting for setting in SETTINGS}

BAD_VALUES = [
    ("HR_MAX_FORMULA", "Tanaka"),
    ("HR_MAX_FORMULA", "karvonen"),
    ("DELOTON_TZ", "Mars/Olympus_Mons"),
    ("DELOTON_TZ", "../etc/passwd"),
    ("REPORT_CRON", "61 16 * * *"),
    ("REPORT_CRON", "every day at 16:45"),
    ("MAIL_PORT", "twenty-five"),
    ("MAIL_PORT", "-25"),
    ("MAIL_PORT", "70000"),
    ("ALERT_AFTER_S", "-3"),
    ("ALERT_COOLDOWN_S", "1.5"),
    ("ALERT_MAX_AGE_S", "-300"),
    ("HR_REST_BPM", "sixty"),
    ("KAFKA_MAX_POLL_RECORDS", "0"),
    ("BACKTRACK_MAX_MESSAGES", "-1"),
    ("STAFF_PAGE_SIZE", "lots"),
    ("DATABASE_URL", "mysql://deloton@localhost/deloton"),
    ("DATABASE_URL", "postgresql://deloton@localhost/deloton"),
    ("DATABASE_URL", "warehouse.db"),
    ("LIVE_DB_PATH", "mysql://localhost/live"),
    ("REDIS_URL", "http://localhost:6379/0"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost"),
    ("KAFKA_TOPIC", "rides of today"),
    ("KAFKA_START", "beginning"),
    ("KAFKA_HEALTHCHECK", "maybe"),
    ("MAIL_USE_TLS", "enabled"),
    ("CEO_EMAIL", "the ceo"),
    ("MAIL_DEFAULT_SENDER", "Deloton Live"),
    ("PUBLIC_BASE_URL", "localhost:5000"),
    ("API_RATE_LIMIT", "as many as you like"),
    ("RATELIMIT_STORAGE_URI", "postgresql://localhost/limits"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_is_refused_naming_variable_value_and_what_is_allowed(name, value):
    values, problems = read(SETTINGS, {name: value})
    assert list(problems) == [name]
    line = problems[name]
    assert line == f"bad setting {name}={value!r}: allowed is {BY_NAME[name].rule.allowed}"
    assert "\n" not in line
    # The refused value is not used: the process would refuse to start anyway.
    assert values[BY_NAME[name].config_key] == BY_NAME[name].default


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("HR_MAX_FORMULA", "gulati", "gulati"),
    ("DELOTON_TZ", "America/New_York", "America/New_York"),
    ("REPORT_CRON", "0 7 * * 1-5", "0 7 * * 1-5"),
    ("MAIL_PORT", "587", 587),
    ("MAIL_USE_TLS", "yes", True),
    ("KAFKA_HEALTHCHECK", "0", False),
    ("ALERT_COOLDOWN_S", "0", 0),
    ("STAFF_SESSION_LIFETIME_S", "3600", 3600),
    ("DATABASE_URL", "postgresql+psycopg://deloton:deloton@localhost:5432/deloton",
     "postgresql+psycopg://deloton:deloton@localhost:5432/deloton"),
    ("LIVE_DB_PATH", "postgresql://deloton@localhost/live", "postgresql://deloton@localhost/live"),
    ("REDIS_URL", "unix:///tmp/redis.sock", "unix:///tmp/redis.sock"),
    ("KAFKA_BOOTSTRAP_SERVERS", "k1:9092, k2:9092", "k1:9092, k2:9092"),
    ("KAFKA_START", "earliest", "earliest"),
    ("ALERT_MAX_AGE_S", "60", 60),
    ("CEO_EMAIL", "ceo@deloton.example", "ceo@deloton.example"),
    ("MAIL_DEFAULT_SENDER", "Rides <rides@deloton.example>", "Rides <rides@deloton.example>"),
    ("LOGIN_RATE_LIMIT", "5 per minute;100 per day", "5 per minute;100 per day"),
])
def test_an_allowed_value_is_taken(name, value, expected):
    values, problems = read(SETTINGS, {name: value})
    assert problems == {}
    assert values[BY_NAME[name].config_key] == expected


def test_with_nothing_set_every_default_is_taken():
    values, problems = read(SETTINGS, {name: "" for name in BY_NAME})
    assert problems == {}
    assert values == {setting.config_key: setting.default for setting in SETTINGS}
    assert (values["KAFKA_START"], values["ALERT_MAX_AGE_S"]) == ("latest", 300)


def test_a_refusal_hides_the_password_in_a_url():
    _, problems = read(SETTINGS, {"DATABASE_URL": "mysql://deloton:hunter2@db.example/deloton"})
    assert "hunter2" not in problems["DATABASE_URL"]
    assert "mysql://deloton:********@db.example/deloton" in problems["DATABASE_URL"]


def test_every_setting_is_documented_with_what_it_allows():
    rows = [line for line in (PROJECT_DIR / "docs" / "settings.md").read_text().splitlines()
            if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}
    assert set(BY_NAME) <= documented
    # Columns: variable, default, what is allowed (as the refusal says it), what it sets.
    for row in rows:
        names = re.findall(r"`([A-Z_]+)`", row.split("|")[1])
        assert row.split(" | ")[2] == BY_NAME[names[0]].rule.allowed


def run(command: list[str], tmp_path, redis_url: str, **settings: str) -> subprocess.CompletedProcess:
    """Start a real entry point with the test Redis, files under tmp_path and `settings`."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "DELOTON_VAR_DIR": str(tmp_path), "REDIS_URL": redis_url,
           **settings}
    return subprocess.run(command, env=env, cwd=PROJECT_DIR, timeout=120, capture_output=True, text=True)


ENTRY_POINTS = [
    ([sys.executable, "consumer.py", "--simulate", "2"], "HR_MAX_FORMULA", "Tanaka"),
    ([sys.executable, "-m", "worker", "--burst"], "ALERT_AFTER_S", "-3"),
    ([sys.executable, "-m", "worker.cron"], "REPORT_CRON", "45 16 * *"),
    ([sys.executable, "-m", "worker.cron"], "DELOTON_TZ", "London"),
    ([str(BIN / "flask"), "--app", "wsgi", "routes"], "DATABASE_URL", "mysql://localhost/deloton"),
    ([str(BIN / "flask"), "--app", "wsgi", "deloton", "stats"], "MAIL_PORT", "abc"),
    ([str(BIN / "gunicorn"), "--no-control-socket", "--bind", "127.0.0.1:0", "wsgi:app"],
     "KAFKA_START", "beginning"),
    ([str(BIN / "granian"), "--interface", "wsgi", "--port", "0", "wsgi:app"], "KAFKA_START", "beginning"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "name", "value"), ENTRY_POINTS,
                         ids=[" ".join(Path(part).name for part in command[:3]) + f" {name}"
                              for command, name, _ in ENTRY_POINTS])
def test_each_entry_point_refuses_to_start_with_one_clear_line(command, name, value, tmp_path, redis_url):
    result = run(command, tmp_path, redis_url, **{name: value})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    refusals = [line for line in result.stderr.splitlines() if "bad setting" in line]
    assert refusals == [f"bad setting {name}={value!r}: allowed is {BY_NAME[name].rule.allowed}"]


@pytest.mark.slow
def test_check_config_prints_the_settings_in_force_with_secrets_masked(tmp_path, redis_url):
    result = run([str(BIN / "flask"), "--app", "wsgi", "deloton", "check-config"], tmp_path, redis_url,
                 SECRET_KEY="s3cret-signing-key", MAIL_PASSWORD="hunter2", HR_MAX_FORMULA="fox",
                 DATABASE_URL="postgresql+psycopg://deloton:pg-password@localhost:5432/deloton")
    assert result.returncode == 0, result.stderr
    for secret in ("s3cret-signing-key", "hunter2", "pg-password"):
        assert secret not in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(BY_NAME) <= set(lines)
    assert "********" in lines["SECRET_KEY"] and "********" in lines["MAIL_PASSWORD"]
    assert "postgresql+psycopg://deloton:********@localhost:5432/deloton" in lines["DATABASE_URL"]
    assert "fox" in lines["HR_MAX_FORMULA"] and "environment" in lines["HR_MAX_FORMULA"]
    assert "Europe/London" in lines["DELOTON_TZ"] and "default" in lines["DELOTON_TZ"]


@pytest.mark.slow
def test_check_config_names_each_bad_setting_and_exits_non_zero(tmp_path, redis_url):
    result = run([str(BIN / "flask"), "--app", "wsgi", "deloton", "check-config"], tmp_path, redis_url,
                 HR_MAX_FORMULA="Tanaka", MAIL_PORT="-1", SECRET_KEY="s3cret-signing-key")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert sorted(result.stderr.splitlines()) == [
        f"bad setting HR_MAX_FORMULA='Tanaka': allowed is {BY_NAME['HR_MAX_FORMULA'].rule.allowed}",
        f"bad setting MAIL_PORT='-1': allowed is {BY_NAME['MAIL_PORT'].rule.allowed}"]
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "Tanaka" in lines["HR_MAX_FORMULA"] and "refused" in lines["HR_MAX_FORMULA"]
    assert "s3cret-signing-key" not in result.stdout
