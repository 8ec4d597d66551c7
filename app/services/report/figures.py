"""The daily report's figures with pandas: rides and alerts in, figures out (docs/specification.md)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from app.domain.rider import AGE_BANDS

WINDOW_EDGE = time(16, 45)
TREND_DAYS = 7
ZONES = [f"hr_zone_z{i}_s" for i in range(1, 6)]
AGE_BAND_ORDER = [*AGE_BANDS, "unknown"]
GENDER_ORDER = ["female", "male", "other"]
# Wall-clock shift mapping the window [D-1 16:45, D 16:45) onto the calendar day D. Done on local
# wall-clock times it is exact across clock changes (they happen at night, far from 16:45).
EDGE_SHIFT = timedelta(days=1) - timedelta(hours=WINDOW_EDGE.hour, minutes=WINDOW_EDGE.minute)
# (key, label, unit, how it is rolled up by day) of every compared figure, in report order.
FIGURES = [("rides", "Rides", "count", "sum"), ("riders", "Riders", "count", "sum"),
           ("new_riders", "New riders", "count", "sum"),
           ("riding_time_s", "Total riding time", "duration", "sum"),
           ("avg_ride_s", "Average ride length", "duration", "mean"),
           ("energy_kj", "Total energy", "kJ", "sum"), ("calories_kcal", "Total calories", "kcal", "sum"),
           ("avg_heart_rate", "Average heart rate", "bpm", "mean"),
           ("alerts", "Heart-rate alerts", "count", "sum"),
           ("max_power", "Highest power", "W", "mean"), ("longest_ride_s", "Longest ride", "duration", "mean"),
           ("busiest_hour_rides", "Rides in the busiest hour", "count", "sum")]
SUMMED = [key for key, _, _, rollup in FIGURES if rollup == "sum"]
# Which way is good news for each figure: more riding is good, more heart-rate alerts is bad; the
# average heart rate is neither (a harder day is not better or worse for the business).
GOOD_WHEN = {key: "up" for key, _, _, _ in FIGURES} | {"alerts": "down", "avg_heart_rate": None}


def report_window(report_date: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of the report for report_date: D-1 16:45 to D 16:45 local time."""
    tz = ZoneInfo(tz_name)
    return (datetime.combine(report_date - timedelta(days=1), WINDOW_EDGE, tzinfo=tz),
            datetime.combine(report_date, WINDOW_EDGE, tzinfo=tz))


def history_window(report_date: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) covering the report's window and the TREND_DAYS windows before it."""
    start, _ = report_window(report_date - timedelta(days=TREND_DAYS), tz_name)
    return start, report_window(report_date, tz_name)[1]


def latest_report_date(moment: datetime, tz_name: str) -> date:
    """The date of the latest report whose window has closed at `moment`."""
    local = moment.astimezone(ZoneInfo(tz_name))
    return local.date() if local.time() >= WINDOW_EDGE else local.date() - timedelta(days=1)


def report_dates(times: pd.Series, tz_name: str) -> pd.Series:
    """The report date whose window holds each (timezone-aware) time."""
    local = times.dt.tz_convert(tz_name).dt.tz_localize(None)
    return (local + EDGE_SHIFT).dt.date


def local_hours(times: pd.Series, tz_name: str) -> pd.Series:
    """Each time's local clock hour, as a naive wall-clock timestamp."""
    return times.dt.tz_convert(tz_name).dt.tz_localize(None).dt.floor("h")


def prepare(rides: pd.DataFrame, tz_name: str) -> pd.DataFrame:
    """Add report_date, local hour, hr readings, gender group and rider name to a rides frame."""
    rides = rides.copy()
    rides["started_at"] = pd.to_datetime(rides["started_at"], utc=True)
    rides["report_date"] = report_dates(rides["started_at"], tz_name)
    rides["hour"] = local_hours(rides["started_at"], tz_name)
    # Every heart-rate reading counts, zoned or not (a rider without a date of birth has no zones).
    rides["hr_readings"] = rides["hr_readings_count"].fillna(0)
    gender = rides["gender"].fillna("").str.strip().str.lower()
    rides["gender_group"] = gender.where(gender.isin(["female", "male"]), "other")
    rides["age_band"] = rides["age_band"].fillna("unknown")
    names = (rides["first_name"].fillna("") + " " + rides["last_name"].fillna("")).str.strip()
    rides["rider"] = names.where(names != "", "Rider " + rides["user_id"].astype(str))
    return rides


def daily_table(rides: pd.DataFrame, alert_times: pd.Series, first_rides: pd.Series,
                dates: list[date], tz_name: str) -> pd.DataFrame:
    """One row of figures per report date (prepared rides; alerts' and riders' first-ride times)."""
    by_day = rides.groupby("report_date")
    weighted_hr = (rides["avg_heart_rate"].fillna(0) * rides["hr_readings"]).groupby(rides["report_date"]).sum()
    hr_readings = by_day["hr_readings"].sum()
    table = pd.DataFrame({
        "rides": by_day.size(), "riders": by_day["user_id"].nunique(),
        "riding_time_s": by_day["duration_s"].sum(), "avg_ride_s": by_day["duration_s"].mean(),
        "energy_kj": by_day["energy_kj"].sum(), "calories_kcal": by_day["calories_kcal"].sum(),
        # The mean over every hr reading of the day: each ride weighs by its hr readings.
        "avg_heart_rate": weighted_hr / hr_readings.where(hr_readings > 0),
        "max_power": by_day["max_power"].max(), "longest_ride_s": by_day["duration_s"].max(),
        "busiest_hour_rides": rides.groupby(["report_date", "hour"]).size().groupby(level=0).max(),
    })
    table["new_riders"] = _count_by_date(first_rides, tz_name)
    table["alerts"] = _count_by_date(alert_times, tz_name)
    table = table.reindex(dates)
    table[SUMMED] = table[SUMMED].fillna(0)
    return table[[key for key, *_ in FIGURES]]


def _count_by_date(times: pd.Series, tz_name: str) -> pd.Series:
    """How many of the times fall in each report date's window."""
    if times.empty:
        return pd.Series(dtype="int64")
    return report_dates(pd.to_datetime(times, utc=True), tz_name).value_counts()


def compare(table: pd.DataFrame, report_date: date) -> list[dict]:
    """Each figure of report_date against the day before and the average of the TREND_DAYS before."""
    week = table.loc[[report_date - timedelta(days=n) for n in range(1, TREND_DAYS + 1)]]
    today, previous, average = table.loc[report_date], table.loc[report_date - timedelta(days=1)], week.mean()
    return [{"key": key, "label": label, "unit": unit, "value": _number(today[key]),
             "previous": _number(previous[key]), "week_avg": _number(average[key]),
             "vs_previous": with_tone(key, change(today[key], previous[key])),
             "vs_week": with_tone(key, change(today[key], average[key]))}
            for key, label, unit, _ in FIGURES]


def with_tone(key: str, comparison: dict) -> dict:
    """The comparison with its tone: 'good' or 'bad' news by the figure's meaning, else 'neutral'."""
    good_when, direction = GOOD_WHEN[key], comparison["direction"]
    tone = "neutral" if good_when is None or direction not in ("up", "down") else (
        "good" if direction == good_when else "bad")
    return {**comparison, "tone": tone}


def change(value: float, reference: float) -> dict:
    """The difference, the percentage change and its direction (up, down, same or n/a)."""
    if pd.isna(value) or pd.isna(reference):
        return {"delta": None, "pct": None, "direction": "n/a"}
    delta = float(value) - float(reference)
    pct = None if reference == 0 else round(100 * delta / float(reference), 1)
    direction = "same" if abs(delta) < 1e-9 else ("up" if delta > 0 else "down")
    return {"delta": round(delta, 2), "pct": pct, "direction": direction}


def _number(value) -> float | int | None:
    """A JSON-friendly number: None for a missing value, int when whole."""
    if pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)
