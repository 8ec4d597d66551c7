"""The report's charts with pygal, as inline SVG strings that make no external request."""
import re

import pandas as pd
import pygal
from pygal.style import Style

STYLE = Style(background="white", plot_background="white", foreground="#222", foreground_strong="#111",
              foreground_subtle="#888", font_family="DejaVu Sans, Arial, sans-serif",
              colors=("#1f6feb", "#d6336c", "#6c757d", "#2f9e44", "#f08c00"),
              title_font_size=15, label_font_size=11, major_label_font_size=11, legend_font_size=11)
# js=[]: pygal would otherwise link its tooltip script from a CDN. Its CSS is inlined by default.
COMMON = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 720, "height": 320,
          "legend_at_bottom": True, "value_formatter": lambda v: f"{v:,.4g}", "print_zeroes": False, "no_data_text": "No rides"}
# pygal's comments name web addresses; its inline config script only serves the tooltip JS left out.
UNWANTED = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.S)


def render(chart) -> str:
    """The chart as a static SVG element: no comments, no script."""
    return UNWANTED.sub("", chart.render(is_unicode=True))


def rides_per_hour_chart(per_hour: pd.Series) -> str:
    """Bars of rides started per local clock hour across the window."""
    chart = pygal.Bar(title="Rides started per hour", show_legend=False, x_label_rotation=-45, **COMMON)
    chart.x_labels = [f"{hour:%H:00}" for hour in per_hour.index]
    chart.add("Rides", [int(v) for v in per_hour])
    return render(chart)


def gender_chart(grouped: pd.DataFrame) -> str:
    """Rides and riding time (hours) side by side for each gender."""
    chart = pygal.Bar(title="Rides and riding time by gender", **COMMON)
    chart.x_labels = [label.capitalize() for label in grouped.index]
    chart.add("Rides", [int(v) for v in grouped["rides"]])
    chart.add("Riding time (h)", [round(float(v), 1) for v in grouped["riding_h"]], secondary=True)
    return render(chart)


def age_gender_chart(grouped: pd.DataFrame, column: str, title: str) -> str:
    """One bar per gender in each age band for one averaged figure."""
    chart = pygal.Bar(title=title, **COMMON)
    bands = list(dict.fromkeys(grouped.index.get_level_values("age_band")))
    chart.x_labels = bands
    for gender in dict.fromkeys(grouped.index.get_level_values("gender_group")):
        values = grouped.xs(gender, level="gender_group")[column].reindex(bands)
        chart.add(gender.capitalize(), [None if pd.isna(v) else round(float(v), 1) for v in values])
    return render(chart)


def zones_chart(minutes: pd.Series) -> str:
    """Minutes in each heart-rate zone over the day."""
    chart = pygal.Bar(title="Time in heart-rate zones (minutes)", show_legend=False, **COMMON)
    chart.x_labels = list(minutes.index)
    chart.add("Minutes", [round(float(v), 1) for v in minutes])
    return render(chart)


def top_riders_chart(riders: list[dict]) -> str:
    """Horizontal bars of the day's top riders by energy."""
    chart = pygal.HorizontalBar(title="Top riders by energy (kJ)", show_legend=False, **COMMON)
    chart.x_labels = [rider["rider"] for rider in reversed(riders)]
    chart.add("Energy (kJ)", [rider["energy_kj"] for rider in reversed(riders)])
    return render(chart)


def trend_chart(rows: list[dict]) -> str:
    """Rides and riding hours per report date, oldest first (the archive's trend)."""
    chart = pygal.Line(title="Rides and riding time per report", x_label_rotation=-45, **COMMON)
    chart.x_labels = [row["date"] for row in rows]
    chart.add("Rides", [row.get("rides") for row in rows])
    # One axis for both: on a second axis the rides line lay hidden under this one.
    chart.add("Riding time (h)", [round((row.get("riding_time_s") or 0) / 3600, 1) for row in rows])
    return render(chart)
