"""Drill: consumer.py killed with SIGKILL at random moments during a replay, several times."""
import os
import random
import signal
import time

from drills.conftest import PRODUCE_S, record

KILLS = 4


def test_a_consumer_killed_at_random_moments_ends_as_an_uninterrupted_run(system, ticks, baseline):
    seed = int(os.environ.get("DRILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    run = system("killed")
    run.smtp.start()
    run.start_worker()
    run.start_consumer()
    producer = run.produce(ticks, PRODUCE_S)
    kills = []
    for _ in range(KILLS):
        time.sleep(rng.uniform(2, PRODUCE_S / KILLS))
        run.consumer.send_signal(signal.SIGKILL)
        run.consumer.wait(timeout=30)
        kills.append(run.readings_in_live_store())
        run.start_consumer()
    producer.join()
    settle_s = run.wait_settled()
    outcome = run.outcome()
    assert outcome == baseline
    assert len({email for email in outcome["emails"]}) == len(outcome["emails"])
    counters = run.counters()
    record("consumer SIGKILL", seed=seed, kills=KILLS, live_readings_at_kills=kills,
           rides=len(outcome["rides"]), readings=len(outcome["readings"]),
           emails=len(outcome["emails"]), duplicates_skipped=counters.get("duplicates", 0),
           settled_after_last_message_s=round(settle_s, 1))
