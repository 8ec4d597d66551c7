"""A rider's details, age, age band and heart-rate limit (docs/specification.md#names-and-addresses)."""
import re
from bisect import bisect_right
from datetime import date, datetime, timedelta, timezone

TITLES = {"mr", "mrs", "ms", "miss", "dr", "mx", "prof"}
FORMULAS = ("tanaka", "fox", "gulati", "nes")
# The age bands, said once: each edge starts a band. Everything else (the API, the staff filters,
# the report's order) reads AGE_BANDS: "under 18", "18-24", "25-34", "35-44", "45-54", "55+".
AGE_BAND_EDGES = (18, 25, 35, 45, 55)
AGE_BANDS = (f"under {AGE_BAND_EDGES[0]}",
             *(f"{low}-{high - 1}" for low, high in zip(AGE_BAND_EDGES, AGE_BAND_EDGES[1:])),
             f"{AGE_BAND_EDGES[-1]}+")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def date_from_epoch_ms(value) -> date | None:
    """The UTC date of a time in milliseconds since the epoch (negative ones too)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return (EPOCH + timedelta(milliseconds=float(value))).date()
    except (TypeError, ValueError, OverflowError):  # not a number, or out of datetime's range
        return None


def split_name(name: str) -> tuple[str | None, str | None, str | None]:
    """(title, first_name, last_name): a leading title, the last word, and the rest."""
    words = name.split()
    title = None
    if len(words) > 1 and words[0].rstrip(".").lower() in TITLES:
        title, words = words[0], words[1:]
    if not words:
        return title, None, None
    if len(words) == 1:  # the spec: the last word is last_name, even when it is the only one
        return title, None, words[0]
    return title, " ".join(words[:-1]), words[-1]


def split_address(address: str) -> dict:
    """Address parts: line 1, line 2 (the middle of four), city, postcode and postcode area."""
    parts = [part.strip() for part in address.split(",") if part.strip()]
    if len(parts) < 2:
        return {"address_line1": parts[0] if parts else None, "address_line2": None,
                "city": None, "postcode": None, "postcode_area": None}
    postcode = parts[-1].upper()
    area = re.match(r"[A-Z]+", postcode)
    return {"address_line1": parts[0],
            "address_line2": parts[1] if len(parts) == 4 else None,
            "city": parts[-2] if len(parts) >= 3 else None,
            "postcode": postcode,
            "postcode_area": area.group(0) if area else None}


def parse_rider(data: dict) -> dict:
    """The warehouse `users` fields of one [SYSTEM] JSON object."""
    name = str(data.get("name") or "").strip()
    title, first_name, last_name = split_name(name)
    return {"user_id": int(data["user_id"]), "name": name, "title": title,
            "first_name": first_name, "last_name": last_name,
            "gender": data.get("gender"),
            "date_of_birth": date_from_epoch_ms(data.get("date_of_birth")),
            "email": data.get("email_address"),
            "height_cm": _number(data.get("height_cm")), "weight_kg": _number(data.get("weight_kg")),
            **split_address(str(data.get("address") or "")),
            "account_created_on": date_from_epoch_ms(data.get("account_create_date")),
            "original_source": data.get("original_source")}


def _number(value) -> float | None:
    """A float, or None when the value is missing or not a number."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def age_years(date_of_birth: date | None, on: date) -> int | None:
    """Whole years from date_of_birth to `on` (a birthday on `on` counts)."""
    if date_of_birth is None:
        return None
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def age_band(age: int | None) -> str | None:
    """The age band of an age (docs/specification.md#ride-figures)."""
    if age is None:
        return None
    return AGE_BANDS[bisect_right(AGE_BAND_EDGES, age)]


def format_bpm(value: float) -> str:
    """A limit as riders read it: 180, or 182.8 when it is not whole (never rounded: 182.8 rounded
    would read "183 bpm is over 183 bpm"), in the alert email and on the screens alike."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def hr_limit_bpm(age: int | None, gender: str | None, formula: str = "tanaka") -> float | None:
    """The maximum safe heart rate for an age by the chosen formula (docs/specification.md#ride-figures)."""
    if age is None:
        return None
    if formula not in FORMULAS:
        raise ValueError(f"unknown HR_MAX_FORMULA {formula!r}; use one of {', '.join(FORMULAS)}")
    if formula == "fox":
        return 220.0 - age
    if formula == "nes":
        return 211 - 0.64 * age
    if formula == "gulati" and gender == "female":
        return 206 - 0.88 * age
    return 208 - 0.7 * age


def formula_description(formula: str, gender: str | None) -> str:
    """One sentence a rider understands: why their limit is what it is."""
    if formula == "fox":
        return "220 minus your age (the Fox formula)"
    if formula == "nes":
        return "211 minus 0.64 times your age (the HUNT/Nes formula)"
    if formula == "gulati" and gender == "female":
        return "206 minus 0.88 times your age (the Gulati formula for women)"
    return "208 minus 0.7 times your age (the Tanaka formula)"
