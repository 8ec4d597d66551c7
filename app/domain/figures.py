"""The figures of one ride (docs/specification.md#ride-figures), from its readings with pandas."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from app.domain.rider import age_band, age_years, hr_limit_bpm

# Gross efficiency of a rider on a bike: 4.184 kJ per kcal at 24 %.
KJ_PER_KCAL = 4.184 * 0.24
# Zones (docs/specification.md#ride-figures), as fractions of hr_limit_bpm:
# z1 < 0.6 <= z2 < 0.7 <= z3 < 0.8 <= z4 < 0.9 <= z5.
ZONE_BOUNDS = (0.6, 0.7, 0.8, 0.9)
ZONE_EDGES = [-np.inf, *ZONE_BOUNDS, np.inf]
# Banister TRIMP weighting: (k, b) for women, and for everyone else.
TRIMP_FEMALE = (0.86, 1.67)
TRIMP_OTHER = (0.64, 1.92)
READING_COLUMNS = ["duration_s", "recorded_at", "heart_rate", "rpm", "power", "resistance"]


def readings_frame(rows) -> pd.DataFrame:
    """A frame of one ride's readings, from rows (duration_s, recorded_at text, heart_rate, rpm, power,
    resistance) of the live store; recorded_at parsed to UTC times."""
    # Built from one numpy array per column: half the CPU of a frame built row by row.
    columns = list(zip(*rows)) or [()] * len(READING_COLUMNS)
    duration_s, recorded_at, heart_rate, rpm, power, resistance = columns
    return pd.DataFrame({"duration_s": np.array(duration_s, dtype=np.int64),
                         "recorded_at": pd.to_datetime(list(recorded_at), utc=True, format="ISO8601"),
                         "heart_rate": np.array(heart_rate, dtype=np.int64),
                         "rpm": np.array(rpm, dtype=np.int64),
                         "power": np.array(power, dtype=np.float64),
                         "resistance": np.array(resistance, dtype=np.int64)})


def ride_figures(readings: pd.DataFrame, rider: dict, started_at: datetime, tz: str,
                 formula: str, rest_bpm: float, alerts_count: int) -> dict:
    """Every figure of section 3 as the warehouse `rides` columns (rider: parse_rider's dict)."""
    if readings.empty:
        raise ValueError("a ride without readings has no figures")
    age = age_years(rider.get("date_of_birth"), started_at.astimezone(timezone.utc).date())
    limit = hr_limit_bpm(age, rider.get("gender"), formula)
    hr = readings["heart_rate"][readings["heart_rate"] > 0]
    figures = {"duration_s": int(readings["duration_s"].max()),
               "readings_count": int(len(readings)),
               "hr_readings_count": int(len(hr)),
               "ended_at": readings["recorded_at"].max().to_pydatetime(),
               "ride_date": started_at.astimezone(ZoneInfo(tz)).date(),
               "age_years": age, "age_band": age_band(age),
               "hr_limit_bpm": limit, "hr_formula": formula,
               "alerts_count": int(alerts_count),
               **_heart_rate_figures(readings["heart_rate"], hr),
               **_effort_figures(readings),
               **_zone_seconds(hr, limit),
               "trimp": _trimp(hr, limit, rest_bpm, rider.get("gender"))}
    return figures


def _heart_rate_figures(all_hr: pd.Series, hr: pd.Series) -> dict:
    """Mean and minimum over hr readings (None without any); maximum over all readings."""
    return {"avg_heart_rate": float(hr.mean()) if len(hr) else None,
            "min_heart_rate": int(hr.min()) if len(hr) else None,
            "max_heart_rate": int(all_hr.max())}


def _effort_figures(readings: pd.DataFrame) -> dict:
    """Power, cadence and resistance figures, energy and calories."""
    energy_kj = float(readings["power"].sum()) / 1000
    return {"avg_power": float(readings["power"].mean()),
            "max_power": float(readings["power"].max()),
            "avg_rpm": float(readings["rpm"].mean()),
            "max_rpm": int(readings["rpm"].max()),
            "avg_resistance": float(readings["resistance"].mean()),
            "max_resistance": int(readings["resistance"].max()),
            "energy_kj": energy_kj,
            "calories_kcal": energy_kj / KJ_PER_KCAL}


def _zone_seconds(hr: pd.Series, limit: float | None) -> dict:
    """Seconds (hr readings) in each zone z1..z5 by heart rate / limit; all zero without a limit."""
    counts = [0] * 5
    if limit and len(hr):
        zones = pd.cut(hr / limit, ZONE_EDGES, right=False, labels=False)
        counts = np.bincount(zones.to_numpy(dtype=int), minlength=5).tolist()
    return {f"hr_zone_z{i}_s": int(count) for i, count in enumerate(counts, start=1)}


def _trimp(hr: pd.Series, limit: float | None, rest_bpm: float, gender: str | None) -> float:
    """Banister's training impulse over the hr readings (0 without a limit above rest)."""
    if not limit or limit <= rest_bpm or not len(hr):
        return 0.0
    k, b = TRIMP_FEMALE if gender == "female" else TRIMP_OTHER
    # On the column's values: Series.clip costs more than the whole sum for a ride's few hundred readings.
    x = np.clip((hr.to_numpy(dtype=np.float64) - rest_bpm) / (limit - rest_bpm), 0, 1)
    return float((x * k * np.exp(b * x)).sum() / 60)
