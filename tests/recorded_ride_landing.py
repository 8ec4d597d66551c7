"""The recorded ride of tests/data landed in the warehouse through the real pipeline and closeout."""
from contextlib import closing

from app.extensions import db
from app.live import store
from app.models import Ride
from app.services.rides import closeout
from app.stream.pipeline import process_batch
from app.stream.rides import Settings
from tests.stream_helpers import DATA, messages
from tests.test_recorded_ride import recorded_ride

JSONL = DATA / "recorded-topic-start-2022-07-06.jsonl"


def land_recorded_ride(app) -> tuple[int, list[dict]]:
    """The landed ride's id, and its readings as the test's own parser reads them from the .log."""
    _, rider, readings = recorded_ride()
    rows = JSONL.read_bytes().splitlines()
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as conn:
        process_batch(conn, messages(rows + ["--------- beginning of a new ride"]), Settings())
        (key,) = conn.execute("SELECT started_at FROM rides WHERE status = 'ended'").fetchone()
    with app.app_context():
        closeout.close_ride(rider["bike_serial"], key)
        ride_id = db.session.scalars(db.select(Ride.ride_id)).one()
    return ride_id, readings
