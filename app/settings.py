"""How a setting is read and checked: `Setting`, a row of the table in app/config.py, and the rules."""
import re
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import limits
from croniter import croniter
from sqlalchemy.engine import make_url

TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# user:password@ inside any URL-looking value: the password never leaves the process.
URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
MASK = "********"


@dataclass(frozen=True)
class Rule:
    """What a setting allows: a parser and the same in words."""

    allowed: str  # shown by the refusal line and by check-config
    parse: Callable[[str], Any]  # returns the value, or raises on a value not allowed


class SettingsError(ValueError):
    """One or more settings are refused; the message has one line per bad setting."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, how it is parsed, what is allowed, where it goes."""

    name: str
    default: Any
    rule: Rule
    key: str = ""  # the Flask config key, when it is not the variable's name
    secret: bool = False

    @property
    def config_key(self) -> str:
        """Where the value lives in app.config."""
        return self.key or self.name

    def refusal(self, raw: str) -> str:
        """The one line that refuses `raw`: variable, value, what is allowed."""
        return f"bad setting {self.name}={show(self, raw)!r}: allowed is {self.rule.allowed}"


def read(table: tuple[Setting, ...], environ: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """Parse every setting of `table` from `environ`: config values (defaults where unset or bad)
    and, by variable, the refusal line of each bad one. An empty variable counts as unset."""
    values, problems = {}, {}
    for setting in table:
        raw = environ.get(setting.name, "")
        values[setting.config_key] = setting.default
        if raw == "":
            continue
        try:
            values[setting.config_key] = setting.rule.parse(raw)
        except Exception:  # whatever a rule raises (zoneinfo, croniter, SQLAlchemy), one line
            problems[setting.name] = setting.refusal(raw)
    return values, problems


def show(setting: Setting, value: Any) -> str:
    """A value fit to print: secrets masked, passwords inside URLs hidden."""
    if value is None:
        return "(unset)"
    if setting.secret:
        return MASK
    return URL_PASSWORD.sub(rf"\g<1>{MASK}@", str(value))


# Rules: each parses the raw text into the value, or raises on a value not allowed.

def check(allowed: str, test: Callable[[str], Any]) -> Rule:
    """A rule keeping the text as it is when `test` passes (neither False nor an exception)."""
    def parse(raw: str) -> str:
        if test(raw) is False:
            raise ValueError(raw)
        return raw
    return Rule(allowed, parse)


def boolean_value(raw: str) -> bool:
    """true/false and their usual spellings."""
    word = raw.strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(raw)
    return word in TRUE_WORDS


def whole_number(low: int, high: int | None = None) -> Rule:
    """Whole numbers from `low` (up to `high`)."""
    def parse(raw: str) -> int:
        number = int(raw.strip())
        if number < low or (high is not None and number > high):
            raise ValueError(raw)
        return number
    return Rule(f"a whole number from {low}" + (f" to {high}" if high is not None else " up"), parse)


def one_of(*choices: str) -> Rule:
    """Exactly one of `choices` (case matters: the value is used as given)."""
    return check(f"one of {', '.join(choices)}", lambda raw: raw in choices)


def database_url(*drivers: str) -> Rule:
    """SQLAlchemy URLs whose driver is one of `drivers` (the ones installed)."""
    starts = " or ".join(f"{driver}://" for driver in drivers)
    return check(f"a SQLAlchemy URL starting {starts}", lambda raw: make_url(raw).drivername in drivers)


def url(*schemes: str) -> Rule:
    """URLs with one of `schemes` and something after it."""
    starts = ", ".join(f"{scheme}://" for scheme in schemes)
    return check(f"a URL starting {starts}",
                 lambda raw: urlsplit(raw).scheme in schemes and len(raw.split("://", 1)[1]) > 0)


def host_ports(raw: str) -> bool:
    """Comma-separated host:port pairs."""
    pairs = [server.strip().rpartition(":") for server in raw.split(",")]
    return all(host and port.isdigit() for host, _, port in pairs)


def email_address(raw: str, with_name: bool = False) -> bool:
    """An email address (`Name <address>` too when `with_name`)."""
    name, address = parseaddr(raw)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>.]+\.[^@\s<>]+", address):
        return False
    return address == raw.strip() or (with_name and bool(name))


TEXT = check("any text", lambda raw: True)
FOLDER = check("a folder path", lambda raw: True)
HOST = check("a host name or IP address",
             lambda raw: re.fullmatch(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]", raw) is not None)
BOOLEAN = Rule("true or false (also 1/0, yes/no, on/off)", boolean_value)
TIME_ZONE = check("an IANA time zone name such as Europe/London", ZoneInfo)
CRON = check("a cron expression (minute hour day month weekday) such as 45 16 * * *", croniter.is_valid)
RATE_LIMIT = check("a rate limit such as 10 per minute (Flask-Limiter syntax)", limits.parse_many)
LIVE_STORE = check("a SQLite file path or a postgresql:// URL",
                   lambda raw: "://" not in raw or raw.startswith(("postgresql://", "postgres://")))
HOST_PORTS = check("host:port pairs, comma-separated", host_ports)
KAFKA_NAME = check("1 to 249 letters, digits, '.', '_' or '-'",
                   lambda raw: re.fullmatch(r"[A-Za-z0-9._-]{1,249}", raw) is not None)
EMAIL = check("an email address such as ceo@example.com", email_address)
SENDER = check("an email address, with a name if wanted: Deloton Live <no-reply@example.com>",
               lambda raw: email_address(raw, with_name=True))
