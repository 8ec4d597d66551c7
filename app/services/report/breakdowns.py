"""The report day's breakdowns with pandas (prepared rides of one window in, plain values out)."""
from datetime import datetime, timedelta

import pandas as pd

from app.services.report.figures import AGE_BAND_ORDER, GENDER_ORDER, ZONES, local_hours

TOP_RIDERS = 5


def rides_per_hour(day: pd.DataFrame, window: tuple[datetime, datetime], tz_name: str) -> pd.Series:
    """Rides started in each local clock hour of the window, every hour listed (0 when none)."""
    start, end = window
    edges = pd.Series(pd.date_range(start, end - timedelta(microseconds=1), freq="h"))
    hours = pd.Index(local_hours(pd.concat([edges, pd.Series([end - timedelta(microseconds=1)])]),
                                 tz_name).unique())
    return day.groupby("hour").size().reindex(hours, fill_value=0)


def busiest_hour(per_hour: pd.Series) -> dict | None:
    """The local hour with most rides started (the earliest on a tie), or None on an empty day."""
    if per_hour.empty or per_hour.max() == 0:
        return None
    hour = per_hour.idxmax()
    return {"label": f"{hour:%H:00}–{hour + timedelta(hours=1):%H:00}", "rides": int(per_hour.max())}


def by_gender(day: pd.DataFrame) -> pd.DataFrame:
    """Rides and riding time (hours) by gender."""
    grouped = day.groupby("gender_group").agg(rides=("ride_id", "size"), riding_s=("duration_s", "sum"))
    grouped = grouped.reindex(GENDER_ORDER, fill_value=0)
    grouped["riding_h"] = grouped["riding_s"] / 3600
    return grouped


def by_age_band_and_gender(day: pd.DataFrame) -> pd.DataFrame:
    """Average ride length (minutes) and average energy (kJ) by age band and gender."""
    grouped = day.groupby(["age_band", "gender_group"]).agg(
        avg_ride_min=("duration_s", "mean"), avg_energy_kj=("energy_kj", "mean"))
    grouped["avg_ride_min"] = grouped["avg_ride_min"] / 60
    bands = [band for band in AGE_BAND_ORDER if band in set(day["age_band"])]
    index = pd.MultiIndex.from_product([bands, GENDER_ORDER], names=["age_band", "gender_group"])
    return grouped.reindex(index)


def zone_minutes(day: pd.DataFrame) -> pd.Series:
    """Minutes spent in each heart-rate zone, over every ride of the day."""
    return pd.Series([day[zone].sum() / 60 for zone in ZONES], index=[f"Z{i}" for i in range(1, 6)])


def top_riders(day: pd.DataFrame, count: int = TOP_RIDERS) -> list[dict]:
    """The riders with most energy over the day (ties broken by riding time, then by id)."""
    grouped = day.groupby(["user_id", "rider"], as_index=False).agg(
        rides=("ride_id", "size"), riding_s=("duration_s", "sum"), energy_kj=("energy_kj", "sum"))
    grouped = grouped.sort_values(["energy_kj", "riding_s", "user_id"], ascending=[False, False, True])
    return [{"user_id": int(row.user_id), "rider": row.rider, "rides": int(row.rides),
             "riding_s": int(row.riding_s), "energy_kj": round(float(row.energy_kj), 2)}
            for row in grouped.head(count).itertuples()]


def record_ride(day: pd.DataFrame, column: str) -> dict | None:
    """The ride holding the day's highest value of a column (the earliest on a tie)."""
    if day.empty:
        return None
    row = day.sort_values([column, "started_at"], ascending=[False, True]).iloc[0]
    return {"value": round(float(row[column]), 2), "rider": row["rider"], "user_id": int(row["user_id"]),
            "started_at": row["started_at"].to_pydatetime()}
