"""The heart-rate alert rule (docs/specification.md#heart-rate-alerts), over plain values."""
from dataclasses import dataclass, replace


@dataclass
class AlertState:
    """What the rule remembers for one ride between readings."""

    run_length: int = 0                 # consecutive exceeding readings ending at last_duration_s
    last_duration_s: int | None = None  # duration_s of the latest reading seen
    last_alert_duration_s: int | None = None


def advance(state: AlertState, duration_s: int, heart_rate: int, limit: float | None,
            alert_after_s: int = 3, cooldown_s: int = 300) -> bool:
    """Feed one reading (in duration order) into `state` in place; return whether it raises an alert.

    The rule itself, written for the consumer's hot loop: it changes the state where it is
    instead of making a new one for every reading."""
    last = state.last_duration_s
    if last is not None and duration_s <= last:
        return False  # a reading seen again (Kafka redelivers) or late changes nothing
    state.last_duration_s = duration_s
    if limit is None or heart_rate <= 0 or heart_rate <= limit:
        state.run_length = 0  # does not exceed: no limit, no heart rate (0), or not above the limit
    elif last is not None and duration_s == last + 1:
        state.run_length += 1
    else:
        state.run_length = 1  # a missing second breaks the run
    if state.run_length < alert_after_s:
        return False
    if state.last_alert_duration_s is not None and duration_s - state.last_alert_duration_s < cooldown_s:
        return False
    state.last_alert_duration_s = duration_s
    return True


def next_state(state: AlertState, duration_s: int, heart_rate: int, limit: float | None,
               alert_after_s: int = 3, cooldown_s: int = 300) -> tuple[AlertState, bool]:
    """Feed one reading (in duration order); return the new state and whether it raises an alert."""
    new_state = replace(state)
    return new_state, advance(new_state, duration_s, heart_rate, limit, alert_after_s, cooldown_s)
