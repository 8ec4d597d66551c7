"""The report's charts with pygal, as inline SVG strings that make no external request."""
import math
import re

import pandas as pd
import pygal
from pygal.style import Style

# The site's own colours (app/static/css/app.css, light theme), so a chart reads like the live screens:
# the heart-rate zones z1..z5, the accent for a single measure, and one fixed colour per gender group
# (none of them a zone colour, so no colour means two things in one report).
ZONE_COLOURS = ("#4a90d9", "#2e9e5b", "#c7a000", "#e07000", "#c62828")
ACCENT = "#0b5cad"
GENDER_COLOURS = {"female": "#7048a8", "male": "#0f7c80", "other": "#6b7480"}
TEXT, MUTED, GRID = "#1b1b1b", "#4a5360", "#e3e6ea"
# Solid bars, light solid gridlines, the report's sans-serif face (pygal's defaults: see-through bars,
# dashed black guides, a monospace face and its own palette).
STYLE_BASE = {"background": "white", "plot_background": "white", "foreground": TEXT, "foreground_strong": TEXT,
              "foreground_subtle": MUTED, "font_family": "DejaVu Sans, Arial, sans-serif",
              "opacity": "1", "opacity_hover": "1", "guide_stroke_color": GRID, "major_guide_stroke_color": GRID,
              "guide_stroke_dasharray": "none", "major_guide_stroke_dasharray": "none",
              "title_font_size": 17, "label_font_size": 13, "major_label_font_size": 13, "legend_font_size": 13,
              "value_font_size": 12, "value_colors": (TEXT,)}
# js=[]: pygal would otherwise link its tooltip script from a CDN. Its CSS is inlined by default.
# 480 x 260: half the report's width on screen and in the PDF, where the text stays about 7 pt.
COMMON = {"js": [], "disable_xml_declaration": True, "width": 480, "height": 260, "legend_at_bottom": True,
          "value_formatter": lambda v: f"{v:,.4g}", "print_zeroes": False, "no_data_text": "No rides",
          "show_x_guides": False, "margin": 8, "truncate_label": -1, "truncate_legend": -1,
          "legend_at_bottom_columns": 3}
# pygal's comments name web addresses; its inline config script only serves the tooltip JS left out.
UNWANTED = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.S)


def options(colours=(ACCENT,), **overrides) -> dict:
    """The common chart options, series coloured in order by `colours` (one colour a series), some
    options replaced. The legend has a column a series, up to 3: pygal makes room under the chart
    for (series // columns) rows, none for 2 series in 3 columns, and cut that legend off."""
    columns = max(1, min(COMMON["legend_at_bottom_columns"], len(colours)))
    return {**COMMON, "style": Style(**STYLE_BASE, colors=tuple(colours)), "legend_at_bottom_columns": columns,
            **overrides}


def render(chart) -> str:
    """The chart as a static SVG element: no comments, no script, and no id that another chart of
    the same page has too."""
    return unique_ids(UNWANTED.sub("", chart.render(is_unicode=True)))


def unique_ids(svg: str) -> str:
    """The SVG with each id inside it prefixed by the chart's own (pygal's `chart-<uuid>`): pygal
    names every chart's legend entries activate-serie-0, 1, ..., so a page of charts had each id
    several times (an HTML error, and WeasyPrint's "Anchor defined twice"). Nothing refers to them."""
    root = re.search(r'<svg\b[^>]*?\sid="([^"]+)"', svg)
    if root is None:
        return svg
    prefix = root[1]
    return re.sub(r'(\sid=")(?!' + re.escape(prefix) + r'")([^"]+)"', rf'\g<1>{prefix}-\g<2>"', svg)


def nice_ticks(top: float, most: int = 6) -> list[int]:
    """Whole-number y ticks from 0 to at least top, at most `most` of them, at 1, 2, 5, 10, 20... apart."""
    top = max(math.ceil(top), 1)
    step = next(step for step in nice_steps() if math.ceil(top / step) + 1 <= most)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def nice_steps():
    """1, 2, 5, 10, 20, 50, 100, ..."""
    scale = 1
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


def top_of(values) -> float:
    """The largest value, ignoring missing ones (0 when there is none)."""
    present = [float(v) for v in values if v is not None and not pd.isna(v)]
    return max(present, default=0)


def rides_per_hour_chart(per_hour: pd.Series) -> str:
    """Bars of rides started per local clock hour across the window (every third hour labelled)."""
    chart = pygal.Bar(**options(title="Rides started per hour", show_legend=False, width=960, height=230,
                                x_labels_major_every=3, show_minor_x_labels=False,
                                y_labels=nice_ticks(top_of(per_hour))))
    chart.x_labels = [f"{hour:%H:00}" for hour in per_hour.index]
    chart.add("Rides", [int(v) for v in per_hour])
    return render(chart)


def gender_chart(grouped: pd.DataFrame) -> str:
    """Each gender's share (%) of the day's rides and of its riding time, each bar labelled with its count
    or hours: one axis, where rides and hours on two axes drew one line over the other."""
    genders = list(grouped.index)
    chart = pygal.Bar(**options(colours=[GENDER_COLOURS.get(g, MUTED) for g in genders],
                                title="Share of rides and riding time by gender", range=(0, 100),
                                y_labels=[0, 25, 50, 75, 100], print_values=True, print_values_position="top",
                                value_formatter=lambda v: f"{v:.0f} %"))
    chart.x_labels = ["Rides", "Riding time"]
    rides, hours = grouped["rides"].sum(), grouped["riding_h"].sum()
    for gender, row in grouped.iterrows():
        count, riding_h = int(row["rides"]), float(row["riding_h"])
        chart.add(gender.capitalize(), [
            {"value": share(count, rides), "formatter": lambda _, count=count: f"{count:,}"},
            {"value": share(riding_h, hours), "formatter": lambda _, riding_h=riding_h: f"{riding_h:,.1f} h"}])
    return render(chart)


def share(part: float, whole: float) -> float | None:
    """part as a percentage of whole (None when whole is 0)."""
    return round(100 * float(part) / float(whole), 1) if whole else None


def age_gender_chart(grouped: pd.DataFrame, column: str, title: str) -> str:
    """One bar per gender in each age band for one averaged figure (genders in their own colours)."""
    genders = list(dict.fromkeys(grouped.index.get_level_values("gender_group")))
    chart = pygal.Bar(**options(colours=[GENDER_COLOURS.get(g, MUTED) for g in genders], title=title,
                                y_labels=nice_ticks(top_of(grouped[column]))))
    bands = list(dict.fromkeys(grouped.index.get_level_values("age_band")))
    chart.x_labels = bands
    for gender in genders:
        values = grouped.xs(gender, level="gender_group")[column].reindex(bands)
        chart.add(gender.capitalize(), [None if pd.isna(v) else round(float(v), 1) for v in values])
    return render(chart)


def zones_chart(minutes: pd.Series) -> str:
    """Minutes in each heart-rate zone over the day, each bar in its zone's colour."""
    chart = pygal.Bar(**options(title="Time in heart-rate zones (minutes)", show_legend=False,
                                y_labels=nice_ticks(top_of(minutes))))
    chart.x_labels = [f"Zone {n}" for n in range(1, len(minutes) + 1)]
    chart.add("Minutes", [{"value": round(float(v), 1), "color": colour}
                          for v, colour in zip(minutes, ZONE_COLOURS)])
    return render(chart)


def trend_chart(rows: list[dict]) -> str:
    """Rides and riding hours per report date, oldest first (the archive's trend)."""
    chart = pygal.Line(**options(colours=(ACCENT, ZONE_COLOURS[3]), title="Rides and riding time per report",
                                 x_label_rotation=-45, width=720, height=340))
    chart.x_labels = [row["date"] for row in rows]
    chart.add("Rides", [row.get("rides") for row in rows])
    # One axis for both: on a second axis the rides line lay hidden under this one.
    chart.add("Riding time (h)", [round((row.get("riding_time_s") or 0) / 3600, 1) for row in rows])
    return render(chart)
