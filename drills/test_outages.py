"""Drills: PostgreSQL, Redis, the Kafka broker and the SMTP server go away mid-stream and come back."""
import random
import time

from drills.conftest import OUTAGE_S, PRODUCE_S, record
from tests.drill_stream import flood, junk_messages
from tests.waiting import wait_for


def outage(stop, start) -> float:
    """Stop a part for OUTAGE_S seconds, start it again; the moment (epoch seconds) it was back."""
    stop()
    time.sleep(OUTAGE_S)
    start()
    return time.time()


def finish(run, producer, back: float, baseline) -> tuple[dict, float]:
    """Wait for the run to settle and check it against the baseline; (outcome, seconds from the part
    being back to the last ride landed or email accepted)."""
    producer.join()
    run.wait_settled()
    recovered_s = run.last_done_at() - back
    outcome = run.outcome()
    assert outcome == baseline
    assert len(set(outcome["emails"])) == len(outcome["emails"])  # every alert emailed once
    return outcome, round(recovered_s, 1)


def started(run, ticks, idle_s: float = 8):
    """SMTP, worker and consumer up, the stream being produced."""
    run.smtp.start()
    run.start_worker()
    run.start_consumer(idle_s=idle_s)
    return run.produce(ticks, PRODUCE_S)


def test_postgresql_stopped_during_closeouts(system, services, ticks, baseline):
    run = system("pg-down")
    producer = started(run, ticks)
    wait_for(lambda: run.landed() > 0, timeout_s=120, every_s=0.2)  # closeouts under way
    landed_before = run.landed()
    back = outage(services.pg.stop, services.pg.start)
    outcome, recovered_s = finish(run, producer, back, baseline)
    record("PostgreSQL stopped", outage_s=OUTAGE_S, rides_landed_before_stop=landed_before,
           rides=len(outcome["rides"]), readings=len(outcome["readings"]),
           emails=len(outcome["emails"]), failed_job_runs=run.retried_jobs(),
           last_ride_or_email_after_restart_s=recovered_s)


def test_redis_stopped_during_alerts(system, services, ticks, baseline):
    run = system("redis-down")
    # The consumer must outlive the outage: it holds the outbox rows Redis could not take.
    producer = started(run, ticks, idle_s=OUTAGE_S + 10)
    wait_for(lambda: run.smtp.messages, timeout_s=120, every_s=0.1)  # alerts under way
    emails_before = len(run.smtp.messages)
    back = outage(services.redis.stop, services.redis.start)
    outcome, recovered_s = finish(run, producer, back, baseline)
    record("Redis stopped", outage_s=OUTAGE_S, emails_before_stop=emails_before,
           emails=len(outcome["emails"]), rides=len(outcome["rides"]),
           failed_job_runs=run.retried_jobs(), last_ride_or_email_after_restart_s=recovered_s)


def test_kafka_broker_restarted_mid_stream(system, services, ticks, baseline):
    run = system("kafka-restart")
    # The consumer must outlive the broker's restart (idle from its last message to the broker being
    # back): a clean shutdown and a start take 10 to 30 s, more on a busy host.
    producer = started(run, ticks, idle_s=90)
    time.sleep(PRODUCE_S / 3)
    readings_before = run.readings_in_live_store()
    began = time.monotonic()
    services.kafka.stop()
    services.kafka.start()
    down_s = time.monotonic() - began
    outcome, recovered_s = finish(run, producer, time.time(), baseline)
    record("Kafka broker restarted", broker_down_s=round(down_s, 1),
           live_readings_at_restart=readings_before, rides=len(outcome["rides"]),
           readings=len(outcome["readings"]), emails=len(outcome["emails"]),
           last_ride_or_email_after_restart_s=recovered_s)


def test_smtp_server_down(system, ticks, baseline):
    run = system("smtp-down")
    run.start_worker()
    run.start_consumer()
    producer = run.produce(ticks, PRODUCE_S)
    back = outage(lambda: None, run.smtp.start)  # down from the start for OUTAGE_S
    outcome, recovered_s = finish(run, producer, back, baseline)
    sent = [row for row in outcome["hr_alerts"] if row[9] == "sent"]
    assert run.attempts() > len(sent)  # some deliveries were refused and retried
    record("SMTP server down", outage_s=OUTAGE_S, emails=len(outcome["emails"]),
           alerts_sent=len(sent), delivery_attempts=run.attempts(),
           last_ride_or_email_after_restart_s=recovered_s)


def test_a_flood_of_malformed_messages_is_quarantined(system, ticks, baseline):
    rng = random.Random(5)
    serials = sorted({key for tick in ticks for key, _ in tick})
    junk = junk_messages(serials, rng)
    run = system("flood")
    producer = started(run, flood(ticks, junk, rng))
    outcome, _ = finish(run, producer, time.time(), baseline)
    counters = run.counters()
    assert counters["quarantined"] == len(junk)
    record("malformed flood", junk_messages=len(junk), good_messages=sum(map(len, ticks)),
           quarantined=counters["quarantined"], rides=len(outcome["rides"]),
           readings=len(outcome["readings"]), emails=len(outcome["emails"]))
