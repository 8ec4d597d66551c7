"""The report's short summary, written from the day's figures (pure: figures in, sentences out)."""
from app.services.alerts.counts import WARNING_THRESHOLD
from app.services.report.figures import FIGURES

# Figures whose change is worth a sentence, in the order ties are broken.
NOTABLE = ["rides", "riders", "riding_time_s", "energy_kj", "avg_ride_s", "avg_heart_rate"]
# A change smaller than this (percent) is not news.
NOTABLE_PCT = 10


def write_summary(report: dict) -> list[str]:
    """A few sentences: the day in a line, what changed most, busiest hour, top rider, attention."""
    figures = {row["key"]: row for row in report["figures"]}
    provisional = _in_progress_line(report.get("in_progress_totals"))
    if report["empty"]:
        return [line for line in (provisional, f"No rides were recorded between {report['window_label']}.",
                                  _previous_day_line(figures), _alerts_line(figures["alerts"]["value"])) if line]
    return [line for line in (provisional, _day_line(figures), _biggest_change(figures), _week_line(figures),
                              _busiest_line(report), _top_rider_line(report),
                              _alerts_line(figures["alerts"]["value"])) if line]


def format_value(value, unit: str) -> str:
    """A figure as a reader would say it: 1,234 rides, 3 h 05 min, 512.3 kJ."""
    if value is None:
        return "n/a"
    if unit == "duration":
        minutes = round(value / 60)
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{value / 60:.1f} min"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{value:,.1f} {unit}"


def plural(count, word: str) -> str:
    """'1 ride', '2 rides', '1,024 rides'."""
    return f"{format_value(count, 'count')} {word if count == 1 else word + 's'}"


def change_text(comparison: dict, unit: str) -> str:
    """A change as the report shows it: '+12.5 %', or the difference itself when the base was 0."""
    if comparison["pct"] is not None:
        return f"{comparison['pct']:+.1f}\u00a0%"  # no-break space: a narrow column keeps "+12.5 %" whole
    if comparison["direction"] in ("up", "down"):
        sign = "+" if comparison["direction"] == "up" else "−"
        return sign + format_value(abs(comparison["delta"]), unit)
    return ""


def _in_progress_line(totals: dict | None) -> str | None:
    """Provisional: how many rides were still going at the close, and their figures so far."""
    if not totals or not totals["rides"]:
        return None
    rides = totals["rides"]
    return (f"Provisional: {plural(rides, 'ride')} {'was' if rides == 1 else 'were'} still in progress at the close "
            f"({format_value(totals['riding_time_s'], 'duration')}, {format_value(totals['energy_kj'], 'kJ')} "
            "so far) and not in the figures below; the report is rebuilt as final once they have ended.")


def _day_line(figures: dict) -> str:
    rides, riders, new = (figures[key]["value"] for key in ("rides", "riders", "new_riders"))
    time = format_value(figures["riding_time_s"]["value"], "duration")
    return f"{plural(rides, 'ride')} by {plural(riders, 'rider')} ({new:,} new), {time} of riding in all."


def _biggest_change(figures: dict) -> str | None:
    """The figure that moved most against the previous day, when it moved by NOTABLE_PCT or more."""
    moves = [(abs(figures[key]["vs_previous"]["pct"]), key) for key in NOTABLE
             if figures[key]["vs_previous"]["pct"] is not None]
    if not moves or max(moves)[0] < NOTABLE_PCT:
        return "The figures were close to the previous day's." if moves else None
    _, key = max(moves, key=lambda move: (move[0], -NOTABLE.index(move[1])))
    row = figures[key]
    verb = "rose" if row["vs_previous"]["direction"] == "up" else "fell"
    return (f"{row['label']} {verb} {abs(row['vs_previous']['pct']):.0f} % on the previous day "
            f"({format_value(row['previous'], row['unit'])} to {format_value(row['value'], row['unit'])}).")


def _week_line(figures: dict) -> str | None:
    pct = figures["rides"]["vs_week"]["pct"]
    if pct is None:
        return None
    if abs(pct) < NOTABLE_PCT:
        return "Rides were in line with the 7-day average."
    return f"Rides were {abs(pct):.0f} % {'above' if pct > 0 else 'below'} the 7-day average."


def _previous_day_line(figures: dict) -> str:
    previous = figures["rides"]["previous"] or 0
    return f"The day before had {plural(previous, 'ride')}."


def _busiest_line(report: dict) -> str | None:
    busiest = report["busiest_hour"]
    return busiest and f"The busiest hour was {busiest['label']} with {plural(busiest['rides'], 'ride')} started."


def _top_rider_line(report: dict) -> str | None:
    if not report["top_riders"]:
        return None
    top = report["top_riders"][0]
    return f"Top rider: {top['rider']}, {top['energy_kj']:,.1f} kJ over {plural(top['rides'], 'ride')}."


def _alerts_line(alerts: int) -> str:
    if alerts > WARNING_THRESHOLD:
        return (f"Needs attention: {alerts} heart-rate alerts were raised, more than {WARNING_THRESHOLD}; "
                "check the riders concerned and their bikes' heart-rate settings.")
    if alerts:
        return f"{plural(alerts, 'heart-rate alert')} {'was' if alerts == 1 else 'were'} raised."
    return "No heart-rate alerts were raised."


def headline_rows(headline: dict) -> list[tuple[str, str]]:
    """The headline figures of a stored report as (label, formatted value), for the email and archive."""
    shown = ["rides", "riders", "new_riders", "riding_time_s", "avg_ride_s", "energy_kj",
             "calories_kcal", "avg_heart_rate", "alerts"]
    rows = [(label, format_value(headline.get(key), unit)) for key, label, unit, _ in FIGURES if key in shown]
    return rows + [("Busiest hour", headline.get("busiest_hour") or "n/a")]
