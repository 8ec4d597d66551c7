"""The heart-rate alert rule (docs/specification.md#heart-rate-alerts), over plain values."""
from dataclasses import dataclass


@dataclass
class AlertState:
    """What the rule remembers for one ride between readings."""

    run_length: int = 0                 # consecutive exceeding readings ending at last_duration_s
    last_duration_s: int | None = None  # duration_s of the latest reading seen
    last_alert_duration_s: int | None = None


def exceeds(heart_rate: int, limit: float | None) -> bool:
    """A reading exceeds when its heart rate is above the ride's limit (0 never does)."""
    return limit is not None and heart_rate > 0 and heart_rate > limit


def next_state(state: AlertState, duration_s: int, heart_rate: int, limit: float | None,
               alert_after_s: int = 3, cooldown_s: int = 300) -> tuple[AlertState, bool]:
    """Feed one reading (in duration order); return the new state and whether it raises an alert."""
    if state.last_duration_s is not None and duration_s <= state.last_duration_s:
        return state, False  # a reading seen again (Kafka redelivers) or late changes nothing
    consecutive = state.last_duration_s is not None and duration_s == state.last_duration_s + 1
    if exceeds(heart_rate, limit):
        run = state.run_length + 1 if consecutive else 1
    else:
        run = 0
    cooled_down = (state.last_alert_duration_s is None
                   or duration_s - state.last_alert_duration_s >= cooldown_s)
    raise_alert = run >= alert_after_s and cooled_down
    return AlertState(run_length=run, last_duration_s=duration_s,
                      last_alert_duration_s=duration_s if raise_alert else state.last_alert_duration_s
                      ), raise_alert
