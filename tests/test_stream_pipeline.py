"""The batch pipeline over a real live store: rides, readings, alerts, outbox, quarantine, counters."""
import json
import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.live import ingest, store
from app.stream.pipeline import Message, end_idle_rides, process_batch
from app.stream.rides import BikeCache, Settings
from tests.stream_helpers import DATA, messages, plain, snapshot
from tests.test_stream_parse import LINE_LIKE, system_line

SETTINGS = Settings()


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, tmp_path):
    """A fresh live store: a SQLite file, and a PostgreSQL database (the same pipeline on both)."""
    path = str(tmp_path / "live.db") if request.param == "sqlite" else request.getfixturevalue("pg_live")
    conn = store.connect(path)
    yield conn
    conn.close()


def ts(second: int, half: bool = False) -> str:
    minutes, seconds = divmod(second, 60)
    return f"2022-07-06 10:{minutes:02d}:{seconds:02d}.{500000 if half else 100000:06d}"


def ride_lines(start: int, hrs: list[int], resistance: int = 30) -> list[str]:
    """Ride/Telemetry pairs for durations 1.. with these heart rates."""
    lines = []
    for i, hr in enumerate(hrs, start=1):
        lines.append(f"{ts(start + i)} mendoza v9: [INFO]: Ride - duration = {float(i)}; "
                     f"resistance = {resistance}")
        lines.append(f"{ts(start + i, True)} mendoza v9: [INFO]: Telemetry - hrt = {hr}; rpm = 40; "
                     f"power = 9.737739856000001")
    return lines


def system(second: int, **rider) -> str:
    return system_line(**rider).replace("2022-07-06 23:29:36.435842", ts(second), 1)


def recorded_messages() -> list[Message]:
    rows = (DATA / "recorded-topic-start-2022-07-06.jsonl").read_bytes().splitlines()
    return messages(rows + [json.dumps({"log": "--------- beginning of a new ride\n"}).encode()])


def test_the_topic_start_gives_one_ride_of_user_100_with_498_readings(live):
    for start in range(0, 1001, 250):
        process_batch(live, recorded_messages()[start:start + 250], SETTINGS)
    (ride,) = live.execute("SELECT bike_serial, started_at FROM rides").fetchall()
    stored = store.get_ride(live, *ride)
    assert stored["rider"]["user_id"] == 100 and stored["status"] == "ended"
    assert stored["started_at"] == "2022-07-06 23:29:35.935822+00:00"
    assert stored["hr_limit_bpm"] == pytest.approx(208 - 0.7 * 43)  # born 1978-09-05
    readings = store.get_readings(live, *ride)
    assert [r["duration_s"] for r in readings] == list(range(1, 499))
    assert readings[-1]["recorded_at"] == "2022-07-06 23:37:53.444906+00:00"
    assert readings[-1]["power"] == 2.30885038 and readings[-1]["heart_rate"] == 117
    (job,) = live.execute("SELECT queue, func, kwargs_json FROM outbox").fetchall()
    assert job["queue"] == "closeout" and json.loads(job["kwargs_json"])["bike_serial"] == "SN0000"
    assert "quarantined" not in store.get_counters(live)


def test_redelivered_messages_change_nothing(live):
    process_batch(live, recorded_messages()[:600], SETTINGS)
    before = plain(snapshot(live))
    counts = process_batch(live, recorded_messages()[300:600], SETTINGS)
    assert plain(snapshot(live)) == before
    assert counts["duplicates"] == 300
    process_batch(live, recorded_messages()[300:], SETTINGS)
    assert len(live.execute("SELECT * FROM readings").fetchall()) == 498


def test_the_batch_writes_take_whole_numbers_for_fractional_columns_and_empty_columns(live):
    # On PostgreSQL a batch's readings and bikes go as one array per column: an energy of 0 (an
    # int) among floats, or a column with no value at all, must be stored as SQLite stores them.
    idle = (None, "t1", 1.0, 0, 0, None, None, None, None, None)
    ingest.save_bikes(live, [], [idle + ("A",), idle + ("B",)])
    ingest.save_bikes(live, [(None, "t2", 2, 0, 0, None, None, None, None, None, "A"),
                             ("s", "t2", 2.5, 1, 12.5, 3, 120, 80, 99, 30, "B")], [])
    rows = [("B", "s", 1, "t", 100, 80, 99.5, 3), ("B", "s", 1, "t", 100, 80, 99.5, 3),
            ("B", "s", 2, "t", 100, 80, 99, 3)]
    assert ingest.insert_readings(live, rows) == 2 and ingest.insert_readings(live, rows) == 0
    bikes = {row["bike_serial"]: tuple(row) for row in live.execute("SELECT * FROM bikes")}
    assert bikes["A"][1:6] == (None, "t2", 2.0, 0, 0.0)
    assert bikes["B"][1:] == ("s", "t2", 2.5, 1, 12.5, 3, 120, 80, 99.0, 30)
    assert [r["power"] for r in store.get_readings(live, "B", "s")] == [99.5, 99.0]


def test_a_keyed_fleet_keeps_each_bike_apart_on_one_partition(live):
    a = messages([system(0, user_id=1)] + ride_lines(0, [90, 91]), key="SDa")
    b = messages([system(0, user_id=2)] + ride_lines(0, [80]), key="SDb", first_offset=len(a))
    mixed = [m for pair in zip(a, b) for m in pair if m] + a[len(b):]
    mixed = [Message(m.topic, m.partition, i, m.key, m.value) for i, m in enumerate(mixed)]
    process_batch(live, mixed, SETTINGS)
    assert [r["heart_rate"] for r in store.get_readings(live, "SDa", store.to_text(_utc(ts(0))))] == [90, 91]
    assert [r["heart_rate"] for r in store.get_readings(live, "SDb", store.to_text(_utc(ts(0))))] == [80]


def _utc(text: str):
    from datetime import datetime, timezone
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_halves_without_their_partner_are_dropped_and_counted(live):
    lines = [system(0)] + ride_lines(0, [90, 91, 92])
    del lines[3]   # the Ride half of second 2
    del lines[5]   # the Telemetry half of second 3 (now at index 5)
    process_batch(live, messages(lines + ["--------- beginning of main"]), SETTINGS)
    counters = store.get_counters(live)
    assert counters["dropped_halves"] == 2 and counters["readings"] == 1


def test_readings_with_no_ride_are_orphans_and_a_ride_with_no_readings_is_discarded(live):
    lines = ride_lines(0, [90, 91]) + [system(10), "--------- beginning of a new ride"]
    process_batch(live, messages(lines, key="SDa"), SETTINGS)
    counters = store.get_counters(live)
    assert counters["orphans"] == 2 and counters["rides_discarded"] == 1
    assert live.execute("SELECT COUNT(*) FROM rides").fetchone()[0] == 0
    assert live.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_bad_messages_are_quarantined_with_partition_offset_key_and_reason(live):
    batch = messages([b"\xff", b'{"log": 1}', "nonsense"], key="SDa", partition=3, first_offset=40)
    process_batch(live, batch + messages([system(0)], key="SDa", partition=3, first_offset=43), SETTINGS)
    rows = live.execute('SELECT partition, "offset", message_key, raw_value, reason FROM quarantine '
                        'ORDER BY 2').fetchall()
    assert [tuple(r)[:3] for r in rows] == [(3, 40, "SDa"), (3, 41, "SDa"), (3, 42, "SDa")]
    assert rows[0]["raw_value"] == "\\xff" and "not UTF-8" in rows[0]["reason"]
    assert store.get_counters(live)["quarantined"] == 3 and store.get_counters(live)["rides_started"] == 1


def test_a_rider_no_database_could_store_is_quarantined_and_the_batch_still_lands(live):
    # An unkeyed partition takes its bike from the [SYSTEM] line: a serial with an unpaired
    # surrogate once poisoned the whole batch, so the consumer stopped at it on every restart.
    lines = [system(0, bike_serial="SN\ud800"), system(1, bike_serial="SN1")] + ride_lines(1, [90, 91])
    process_batch(live, messages(lines), SETTINGS)
    (reason,) = [row[0] for row in live.execute("SELECT reason FROM quarantine")]
    assert "unpaired surrogate" in reason
    assert store.get_counters(live)["readings"] == 2


def test_an_alert_is_raised_once_with_its_job_in_the_outbox(live):
    # Born 1978-09-05: limit 208 - 0.7 * 43 = 177.9 on 2022-07-06; 0 breaks the run.
    lines = [system(0)] + ride_lines(0, [150, 190, 191, 0, 192, 193, 194, 195])
    process_batch(live, messages(lines[:9]), SETTINGS)
    process_batch(live, messages(lines[9:], first_offset=9), SETTINGS)  # the rule's state survives batches
    (alert,) = live.execute("SELECT * FROM alerts").fetchall()
    assert alert["duration_s"] == 7 and alert["heart_rate"] == 194
    (job,) = live.execute("SELECT job_id, queue, kwargs_json FROM outbox").fetchall()
    kwargs = json.loads(job["kwargs_json"])
    assert job["queue"] == "alerts" and kwargs["rider"]["user_id"] == 7
    assert kwargs["heart_rate"] == 194 and kwargs["hr_limit_bpm"] == pytest.approx(177.9)


def test_a_second_read_again_after_a_batch_boundary_leaves_the_alert_rule_as_it_was(live):
    # Run lengths: 1 at second 5, 0 at 6, 1 at 7; second 6 sent again (a producer's retry) must not
    # break the run that 7, 8 and 9 make: one alert, at 9.
    lines = [system(0)] + ride_lines(0, [150, 150, 150, 150, 190, 150, 190, 191, 192])
    process_batch(live, messages(lines[:11]), SETTINGS)
    process_batch(live, messages(lines[11:15], first_offset=11), SETTINGS)
    process_batch(live, messages(lines[11:13] + lines[15:], first_offset=15), SETTINGS)
    assert [row["duration_s"] for row in live.execute("SELECT duration_s FROM alerts")] == [9]
    assert store.get_counters(live)["readings"] == 9


def test_a_second_split_between_batches_is_paired_and_nothing_is_left_waiting(live):
    lines = [system(0)] + ride_lines(0, [90, 91, 92])
    process_batch(live, messages(lines[:4]), SETTINGS)  # the Ride half of second 2 waits
    assert live.execute("SELECT COUNT(*) FROM pending_halves").fetchone()[0] == 1
    process_batch(live, messages(lines[4:], first_offset=4), SETTINGS)
    assert live.execute("SELECT COUNT(*) FROM pending_halves").fetchone()[0] == 0
    counters = store.get_counters(live)
    assert counters["readings"] == 3 and "dropped_halves" not in counters


def test_an_unkeyed_partition_follows_the_bike_of_its_latest_system_line(live):
    lines = ([system(0, bike_serial="SN1")] + ride_lines(0, [90])
             + [system(5, bike_serial="SN2")] + ride_lines(5, [80, 81]))
    process_batch(live, messages(lines), SETTINGS)
    rides = {r["bike_serial"]: r["status"] for r in live.execute("SELECT * FROM rides")}
    assert rides == {"SN1": "ended", "SN2": "open"}


def test_the_idle_timeout_ends_rides_of_silent_bikes_only_while_the_consumer_runs(live):
    process_batch(live, messages([system(0)] + ride_lines(0, [90]), key="SDa"), SETTINGS)
    quick = Settings(idle_timeout_s=0.05)
    assert end_idle_rides(live, quick, active_since={0: time.time()})["rides_ended"] == 0
    time.sleep(0.1)
    assert end_idle_rides(live, quick, active_since={1: 0.0})["rides_ended"] == 0  # not our partition
    assert end_idle_rides(live, quick, active_since={0: 0.0})["rides_ended"] == 1
    assert live.execute("SELECT status, end_reason FROM rides").fetchone()[:] == ("ended", "idle")


def test_a_simulated_fleet_stores_every_reading(live):
    from app.stream.simulate import Fleet

    fleet, offset = Fleet(5, seed=3), 0
    for _ in range(120):
        batch = [Message("sim", 0, offset + i, k, v) for i, (k, v) in enumerate(fleet.tick())]
        offset += len(batch)
        process_batch(live, batch, SETTINGS, track_positions=False)
    counters = store.get_counters(live)
    assert counters["readings"] >= 5 * 100 and "quarantined" not in counters
    assert counters.get("dropped_halves", 0) == 0 and counters.get("orphans", 0) == 0


def test_bikes_kept_between_batches_give_the_same_live_store_as_bikes_read_each_time(live, tmp_path):
    from app.stream.simulate import Fleet

    fleet, offset, cache = Fleet(6, seed=4, ride_s=30), 0, BikeCache()
    reference = store.connect(str(tmp_path / "reference.db"))
    for _ in range(90):
        batch = [Message("sim", 0, offset + i, k, v) for i, (k, v) in enumerate(fleet.tick())]
        offset += len(batch)
        for part in (batch[:5], batch[5:]):  # halves of one second fall in two batches
            process_batch(live, part, SETTINGS, cache=cache)
            process_batch(reference, part, SETTINGS)
    pending = "SELECT * FROM pending_halves ORDER BY 1"
    assert plain(snapshot(live)) == plain(snapshot(reference))
    assert [tuple(r) for r in live.execute(pending)] == [tuple(r) for r in reference.execute(pending)]
    assert store.get_counters(live) == store.get_counters(reference)
    reference.close()


def test_a_kept_bike_another_writer_changed_is_read_again(live):
    cache = BikeCache()
    process_batch(live, messages([system(0)] + ride_lines(0, [90]), key="SDa"), SETTINGS, cache=cache)
    # Another consumer (the bike's messages on another partition) starts a new ride on the bike.
    process_batch(live, messages([system(30, user_id=8)], key="SDa", partition=1), SETTINGS)
    process_batch(live, messages(ride_lines(30, [91]), key="SDa", first_offset=3), SETTINGS, cache=cache)
    assert [tuple(r) for r in live.execute(
        "SELECT user_id, (SELECT COUNT(*) FROM readings x WHERE x.bike_serial = r.bike_serial AND "
        "x.started_at = r.started_at) FROM rides r ORDER BY started_at")] == [(7, 1), (8, 1)]
    # The idle sweep ends that ride: the next reading has no ride to go to.
    assert end_idle_rides(live, Settings(idle_timeout_s=0), active_since={0: 0.0})["rides_ended"] == 1
    process_batch(live, messages(ride_lines(31, [92]), key="SDa", first_offset=5), SETTINGS, cache=cache)
    assert store.get_counters(live)["orphans"] == 1 and store.get_counters(live)["readings"] == 2


def test_a_fleet_with_short_rides_ends_each_ride_within_the_given_length(live):
    from app.stream.simulate import Fleet

    fleet, offset = Fleet(4, seed=5, ride_s=20), 0
    for _ in range(200):
        batch = [Message("sim", 0, offset + i, k, v) for i, (k, v) in enumerate(fleet.tick())]
        offset += len(batch)
        process_batch(live, batch, SETTINGS, track_positions=False)
    lengths = [row[0] for row in live.execute(
        "SELECT MAX(duration_s) FROM readings JOIN rides USING (bike_serial, started_at) "
        "WHERE status = 'ended' GROUP BY bike_serial, started_at")]
    assert len(lengths) >= 4 * 8 and all(10 <= length <= 20 for length in lengths)


def test_stats_shows_the_counters(app, live, tmp_path):
    conn = store.connect(app.config["LIVE_DB_PATH"])
    process_batch(conn, messages([b"junk", system(0)] + ride_lines(0, [90])), SETTINGS)
    conn.close()
    result = app.test_cli_runner().invoke(args=["deloton", "stats", "--json"])
    counters = json.loads(result.output)
    assert counters["quarantined"] == 1 and counters["readings"] == 1 and counters["orphans"] == 0
    health = app.test_client().get("/healthz").get_json()
    assert health["consumer"]["quarantined"] == 1

@pytest.mark.parametrize("kept", [False, True], ids=["read each batch", "kept bikes"])
def test_the_leaderboard_energy_is_the_sum_of_the_stored_readings_whatever_the_stream_repeats(live, kept):
    lines = [system(0)] + ride_lines(0, [90, 91, 92, 93, 94, 95])
    second = {n: lines[2 * n - 1:2 * n + 1] for n in range(1, 7)}  # its Ride and Telemetry lines
    # Second 3 sent twice (a producer's retry), 5 before 4, and 2 once more at the end.
    stream = [lines[0]] + [line for n in (1, 2, 3, 3, 5, 4, 6, 2) for line in second[n]]
    cache = BikeCache() if kept else None
    for first in range(0, len(stream), 3):
        process_batch(live, messages(stream[first:first + 3], key="SDa", first_offset=first), SETTINGS,
                      cache=cache)
    ((serial, energy_j),) = live.execute("SELECT bike_serial, ride_energy_j FROM bikes").fetchall()
    stored = live.execute("SELECT COUNT(*), SUM(power) FROM readings").fetchone()
    assert serial == "SDa" and tuple(stored) == (6, pytest.approx(6 * 9.737739856000001))
    assert energy_j == pytest.approx(stored[1])
    assert store.get_counters(live)["duplicates"] == 2


def figure_lines(start: int, seconds: list[int]) -> dict[int, list[str]]:
    """Each second's Ride and Telemetry lines, its heart rate, rpm, power and resistance all
    different from the other seconds' (so a figure from the wrong second shows)."""
    return {n: [f"{ts(start + n)} mendoza v9: [INFO]: Ride - duration = {float(n)}; resistance = {20 + n}",
                f"{ts(start + n, True)} mendoza v9: [INFO]: Telemetry - hrt = {100 + n}; rpm = {40 + n}; "
                f"power = {n}.5"] for n in seconds}


LATEST_SQL = ("SELECT ride_last_s, ride_last_heart_rate, ride_last_rpm, ride_last_power, ride_last_resistance "
              "FROM bikes WHERE bike_serial = 'SDa'")


def latest_stored(conn) -> tuple:
    """The ride in progress's latest stored reading, read from `readings`."""
    row = conn.execute("SELECT x.duration_s, x.heart_rate, x.rpm, x.power, x.resistance FROM bikes b "
                       "JOIN readings x ON x.bike_serial = b.bike_serial AND x.started_at = b.ride_started_at "
                       "WHERE b.bike_serial = 'SDa' ORDER BY x.duration_s DESC LIMIT 1").fetchone()
    return (None,) * 5 if row is None else tuple(row)


@pytest.mark.parametrize("kept", [False, True], ids=["read each batch", "kept bikes"])
def test_the_bikes_latest_figures_are_its_rides_latest_stored_reading_whatever_the_stream_repeats(live, kept):
    second = figure_lines(0, range(1, 10))
    # A batch per second: 3 sent twice (a producer's retry), 5 before 4, 7 before 6, 2 once more;
    # then one batch with 9 before 8 and 4 again.
    batches = [[system(0)]] + [second[n] for n in (1, 2, 3, 3, 5, 4, 7, 6, 2)] + [
        second[9] + second[8] + second[4]]
    cache = BikeCache() if kept else None
    seen, offset = [], 0
    for lines in batches:
        process_batch(live, messages(lines, key="SDa", first_offset=offset), SETTINGS, cache=cache)
        offset += len(lines)
        assert tuple(live.execute(LATEST_SQL).fetchone()) == latest_stored(live)
        seen.append(live.execute(LATEST_SQL).fetchone()[0])
    assert seen == [None, 1, 2, 3, 3, 5, 5, 7, 7, 7, 9]  # a late second never replaces a later one
    assert tuple(live.execute(LATEST_SQL).fetchone()) == (9, 109, 49, 9.5, 29)


def test_a_new_ride_and_the_idle_sweep_clear_the_bikes_latest_figures(live):
    cache = BikeCache()
    first, later = figure_lines(0, [1, 2]), figure_lines(100, [1])
    stream = [system(0)] + first[1] + first[2] + [system(100, user_id=7)]
    process_batch(live, messages(stream, key="SDa"), SETTINGS, cache=cache)
    assert tuple(live.execute(LATEST_SQL).fetchone()) == (None,) * 5  # the new ride has no reading yet
    process_batch(live, messages(later[1], key="SDa", first_offset=len(stream)), SETTINGS, cache=cache)
    assert tuple(live.execute(LATEST_SQL).fetchone()) == (1, 101, 41, 1.5, 21)
    assert end_idle_rides(live, Settings(idle_timeout_s=0), active_since={0: 0.0})["rides_ended"] == 1
    assert tuple(live.execute(LATEST_SQL).fetchone()) == (None,) * 5
    # A boundary line ends the ride too: nothing of it is left on the bike's row.
    process_batch(live, messages([system(200)] + figure_lines(200, [1])[1]
                                 + [json.dumps({"log": "--------- beginning of a new ride\n"}).encode()],
                                 key="SDa", first_offset=10), SETTINGS, cache=cache)
    assert tuple(live.execute(LATEST_SQL).fetchone()) == (None,) * 5


def test_a_poll_of_several_partitions_gives_what_its_messages_one_at_a_time_give(live, tmp_path):
    """Bad, unkeyed and redelivered messages among a poll's readings, in partition runs as Kafka
    hands them over: the same rows and counters as each message stored on its own."""
    from app.stream.simulate import Fleet

    fleet, offsets, polls, previous = Fleet(4, seed=5, ride_s=20), [0, 0], [], {}
    for second in range(40):
        runs = {0: [], 1: []}
        for key, raw in fleet.tick() + [(b"SDbad", b"not json"), (None, value_of_telemetry(second))]:
            partition = sum(key or b"") % 2
            runs[partition].append(Message("sim", partition, offsets[partition], key, raw))
            offsets[partition] += 1
        if second % 7 == 3:  # a rewind: partition 0's last stretch is read again before the new one
            runs[0] = previous[0] + runs[0]
        previous = runs
        polls.append(runs[0] + runs[1])
    reference = store.connect(str(tmp_path / "reference.db"))
    cache = BikeCache()
    for poll in polls:
        process_batch(live, poll, SETTINGS, cache=cache)
        for message in poll:
            process_batch(reference, [message], SETTINGS)
    counters = store.get_counters(live)
    assert counters["duplicates"] > 0 and counters["quarantined"] == 40 and counters["orphans"] >= 40
    assert counters["readings"] > 100
    assert plain(snapshot(live)) == plain(snapshot(reference))
    assert counters == store.get_counters(reference)
    reference.close()


def value_of_telemetry(second: int) -> bytes:
    """An unkeyed Telemetry line (its partition has no [SYSTEM] line: an orphan)."""
    line = f"{ts(second)} mendoza v9: [INFO]: Telemetry - hrt = 90; rpm = 40; power = 9.5"
    return json.dumps({"log": line + "\n"}).encode()


VALUES = st.one_of(st.binary(max_size=200), LINE_LIKE.map(lambda line: json.dumps({"log": line}).encode()))


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.none(), st.binary(max_size=6)), VALUES), max_size=20))
def test_any_messages_are_stored_or_quarantined_and_never_stop_the_pipeline(live, batch):
    first = live.execute("SELECT COALESCE(MAX(next_offset), 0) FROM positions").fetchone()[0]
    before = store.get_counters(live)
    msgs = [Message("fuzz", 0, first + i, key, raw) for i, (key, raw) in enumerate(batch)]
    process_batch(live, msgs, SETTINGS)
    after = store.get_counters(live)
    assert after.get("messages", 0) - before.get("messages", 0) == len(batch)
    quarantined = live.execute('SELECT COUNT(*) FROM quarantine WHERE "offset" >= ?', (first,)).fetchone()[0]
    assert quarantined == after.get("quarantined", 0) - before.get("quarantined", 0)



@pytest.mark.parametrize(("max_age_s", "emailed"), [(300, False), (10 ** 10, True)])
def test_an_alert_of_a_reading_older_than_the_max_age_carries_why_it_is_not_emailed(
        live, max_age_s, emailed):
    lines = [system(0)] + ride_lines(0, [150, 190, 191, 192])  # readings of 2022
    process_batch(live, messages(lines), Settings(alert_max_age_s=max_age_s))
    (job,) = live.execute("SELECT kwargs_json FROM outbox").fetchall()
    reason = json.loads(job["kwargs_json"]).get("skip_reason")
    assert (reason is None) if emailed else ("ALERT_MAX_AGE_S (300 s)" in reason)
