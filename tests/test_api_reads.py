"""The API's read path at scale: validators and 304 on closed rides, cursor pages, and a rider's
figures from `rides` alone (equal to the computation over every reading), over real closeouts."""
import gzip
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import brotli
import psycopg
import pytest
from backports import zstd
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.extensions import db
from tests.factories import RIDER
from tests.test_api import MAY_1, OTHER, admin, land, reader, reading  # noqa: F401 (fixtures)


@pytest.fixture
def ride(app):
    """One closed ride of 20 seconds."""
    return land(app, "SD1", MAY_1, RIDER, [reading(d, MAY_1) for d in range(1, 21)])


@pytest.fixture
def many(app):
    """Seven rides of one rider on 1 May; two start at the same second (on two bikes)."""
    starts = [MAY_1 + timedelta(minutes=10 * i) for i in range(6)] + [MAY_1 + timedelta(minutes=20)]
    return [land(app, f"SD{i}", start, RIDER, [reading(d, start) for d in range(1, 4)])
            for i, start in enumerate(starts)]


@contextmanager
def statements(app):
    """Collect the SQL the app sends while the block runs (on any engine: the API reads on its own
    connections, app.blueprints.api.reads)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_a_closed_ride_carries_validators_and_may_be_kept_by_the_client(client, ride, reader):
    response = client.get(f"/api/ride/{ride}", headers=reader)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"') and response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    expanded = client.get(f"/api/ride/{ride}?expand=readings", headers=reader)
    assert expanded.headers["ETag"] != response.headers["ETag"]  # another representation


def test_a_current_copy_gets_304_without_a_body(client, ride, reader):
    first = client.get(f"/api/ride/{ride}", headers=reader)
    by_tag = client.get(f"/api/ride/{ride}", headers={**reader, "If-None-Match": first.headers["ETag"]})
    assert by_tag.status_code == 304 and by_tag.data == b""
    assert by_tag.headers["ETag"] == first.headers["ETag"]
    by_date = client.get(f"/api/ride/{ride}",
                         headers={**reader, "If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    other_tag = client.get(f"/api/ride/{ride}", headers={**reader, "If-None-Match": '"something-else"'})
    assert other_tag.status_code == 200 and other_tag.get_json()["ride_id"] == ride
    # If-None-Match decides when both are sent: a stale tag gets the ride even with a current date.
    both = client.get(f"/api/ride/{ride}", headers={**reader, "If-None-Match": '"old"',
                                                    "If-Modified-Since": first.headers["Last-Modified"]})
    assert both.status_code == 200


def test_a_304_still_needs_a_key_and_a_deleted_ride_is_gone(client, ride, reader, admin):
    tag = client.get(f"/api/ride/{ride}", headers=reader).headers["ETag"]
    assert client.get(f"/api/ride/{ride}", headers={"If-None-Match": tag}).status_code == 401
    assert client.delete(f"/api/ride/{ride}", headers=admin).status_code == 204
    assert client.get(f"/api/ride/{ride}", headers={**reader, "If-None-Match": tag}).status_code == 404


def test_answers_with_personal_data_are_still_not_stored(client, ride, reader):
    for path in ("/api/rider/100", "/api/rider/100/rides", "/api/daily?date=2026-05-01"):
        assert client.get(path, headers=reader).headers["Cache-Control"] == "no-store"


def walk(client, headers, path):
    """Every ride of a list, following X-Next-Cursor from the first page; and the pages' sizes."""
    ids, sizes, cursor = [], [], None
    while True:
        response = client.get(path + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert response.status_code == 200
        page = [r["ride_id"] for r in response.get_json()]
        ids, sizes = ids + page, sizes + [len(page)]
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return ids, sizes


@pytest.mark.parametrize("path", ["/api/rides?page_size=2", "/api/rider/100/rides?page_size=2",
                                  "/api/daily?date=01-05-2026&page_size=2"])
def test_following_the_cursor_gives_every_ride_once_in_the_lists_order(client, many, reader, path):
    everything = [r["ride_id"] for r in client.get(path.replace("page_size=2", "page_size=50"),
                                                   headers=reader).get_json()]
    assert sorted(everything) == sorted(many)
    ids, sizes = walk(client, reader, path)
    assert ids == everything and sizes == [2, 2, 2, 1]


def test_a_cursor_page_sends_no_count_and_page_numbers_still_work(client, many, reader):
    first = client.get("/api/rides?page_size=3", headers=reader)
    assert '"total": 7' in first.headers["X-Pagination"]
    by_cursor = client.get(f"/api/rides?page_size=3&cursor={first.headers['X-Next-Cursor']}",
                           headers=reader)
    by_page = client.get("/api/rides?page_size=3&page=2", headers=reader)
    assert by_cursor.get_json() == by_page.get_json()
    assert "X-Pagination" not in by_cursor.headers
    last = client.get("/api/rides?page_size=3&page=3", headers=reader)
    assert len(last.get_json()) == 1 and "X-Next-Cursor" not in last.headers


@pytest.mark.parametrize("cursor", ["abc", "12-", "-5", "1.5-3", "99999999999999999-1"])
def test_a_malformed_cursor_is_a_422_that_names_it(client, many, reader, cursor):
    response = client.get(f"/api/rides?cursor={cursor}", headers=reader)
    assert response.status_code == 422 and "cursor" in response.get_json()["message"]


def test_a_cursor_past_the_end_is_an_empty_page(client, many, reader):
    response = client.get("/api/rides?cursor=0-0", headers=reader)
    assert response.status_code == 200 and response.get_json() == []


def old_average_over_readings(app, user_id: int):
    """The rider's average heart rate as it was computed before: over every reading with hr > 0."""
    with app.app_context():
        return db.session.execute(text(
            "SELECT avg(x.heart_rate) FROM ride_readings x JOIN rides r ON r.ride_id = x.ride_id"
            " WHERE r.user_id = :u AND x.heart_rate > 0"), {"u": user_id}).scalar()


def test_a_riders_figures_equal_the_computation_over_every_reading(app, client, reader):
    day = datetime(2026, 5, 3, 8, 0, tzinfo=timezone.utc)
    later, last = day + timedelta(hours=1), day + timedelta(hours=2)
    # Rides of different lengths and hand contact (0 = no heart rate), and one without any.
    land(app, "SD1", day, RIDER, [reading(d, day, heart_rate=0 if d % 4 == 0 else 100 + d)
                                  for d in range(1, 151)])
    land(app, "SD1", later, RIDER, [reading(d, later, heart_rate=171 if d < 7 else 0)
                                    for d in range(1, 31)])
    land(app, "SD2", last, RIDER, [reading(d, last, heart_rate=0) for d in range(1, 11)])
    land(app, "SD3", day, OTHER, [reading(d, day, heart_rate=90) for d in range(1, 11)])
    body = client.get("/api/rider/100", headers=reader).get_json()
    assert body["rides_count"] == 3
    assert body["avg_heart_rate"] == round(float(old_average_over_readings(app, 100)), 2)
    assert client.get("/api/rider/4527", headers=reader).get_json()["avg_heart_rate"] == 90


def test_a_rider_without_heart_rate_readings_has_no_average(app, client, reader):
    land(app, "SD1", MAY_1, RIDER, [reading(d, MAY_1, heart_rate=0) for d in range(1, 11)])
    body = client.get("/api/rider/100", headers=reader).get_json()
    assert body["rides_count"] == 1 and body["avg_heart_rate"] is None


def test_a_riders_figures_never_read_their_readings(app, client, many, reader):
    with statements(app) as seen:
        assert client.get("/api/rider/100", headers=reader).status_code == 200
    assert seen and not [s for s in seen if "ride_readings" in s]


def test_a_list_page_costs_the_same_few_queries_whatever_its_size(app, client, many, reader):
    counts = []
    client.get("/api/daily", headers=reader)  # the key's first use is recorded once: not a page's cost
    for size in (1, 7):
        with statements(app) as seen:
            assert len(client.get(f"/api/daily?date=2026-05-01&page_size={size}",
                                  headers=reader).get_json()) == size
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_verified_key_costs_no_query_and_a_revoke_takes_effect(app, client, runner, ride):
    key = runner.invoke(args=["deloton", "create-api-key", "--role", "reader"]).output.split()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/ride/{ride}", headers=headers).status_code == 200
    with statements(app) as seen:
        assert client.get(f"/api/ride/{ride}", headers=headers).status_code == 200
    assert not [s for s in seen if "api_keys" in s]
    assert runner.invoke(args=["deloton", "revoke-api-key", key.split("_")[1]]).exit_code == 0
    assert client.get(f"/api/ride/{ride}", headers=headers).status_code == 401


def test_only_a_429_carries_the_rate_limit_headers(app, client, reader, ride):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    served = [client.get(f"/api/ride/{ride}", headers=reader) for _ in range(2)]
    assert all(r.status_code == 200 and "X-RateLimit-Limit" not in r.headers for r in served)
    limited = client.get(f"/api/ride/{ride}", headers=reader)
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Limit"] == "2" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_a_ride_reads_the_same_alone_in_lists_and_expanded(client, many, reader):
    alone = client.get(f"/api/ride/{many[0]}", headers=reader).get_json()
    expanded = client.get(f"/api/ride/{many[0]}?expand=readings", headers=reader).get_json()
    listed = [r for r in client.get("/api/daily?date=2026-05-01", headers=reader).get_json()
              if r["ride_id"] == many[0]]
    assert expanded.pop("readings") and alone == expanded == listed[0]
    assert isinstance(alone["avg_power"], float) and alone["started_at"].endswith("+00:00")


def test_a_read_on_a_connection_the_database_dropped_is_served_on_a_new_one(app, client, reader, ride):
    assert client.get(f"/api/ride/{ride}", headers=reader).status_code == 200
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    # As a database restart would, but only the app's own sessions: an autovacuum worker in the same
    # database counts as a superuser process, which this role may not signal.
    with psycopg.connect(url, autocommit=True) as conn:
        dropped = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                               "AND backend_type = 'client backend' AND usename = current_user").fetchone()[0]
    assert dropped >= 1
    response = client.get(f"/api/ride/{ride}", headers=reader)
    assert response.status_code == 200 and response.get_json()["ride_id"] == ride
    assert client.get("/api/rider/424242", headers=reader).status_code == 404


@pytest.mark.parametrize("plain, spelled_otherwise", [
    ("/api/daily?date=01-05-2026&page_size=2&page=2", "/api/daily?date=1-5-2026&page_size=02&page=%2B2"),
    ("/api/daily?date=2026-05-01&page_size=3", "/api/daily?date=%202026-05-01&page_size=3&unknown=1"),
    ("/api/rides?page_size=2&page=3", "/api/rides?page_size=2&page=003"),
    ("/api/rider/100/rides?page_size=4", "/api/rider/100/rides?page_size=4&page_size=9"),
])
def test_a_page_is_the_same_however_its_query_is_spelled(client, many, reader, plain, spelled_otherwise):
    # Plain query strings are read without webargs (app.blueprints.api.plain); the others go through it.
    first, second = (client.get(path, headers=reader) for path in (plain, spelled_otherwise))
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data() and len(first.get_json()) > 0
    for header in ("X-Pagination", "X-Next-Cursor", "Cache-Control", "Content-Type"):
        assert first.headers.get(header) == second.headers.get(header)
    following = client.get(f"{plain}&cursor={first.headers['X-Next-Cursor']}", headers=reader)
    assert following.status_code == 200 and "X-Pagination" not in following.headers


def test_a_ride_without_a_query_string_is_the_ride_with_one(client, ride, reader):
    plain = client.get(f"/api/ride/{ride}", headers=reader)
    unexpanded = client.get(f"/api/ride/{ride}?unknown=1", headers=reader)
    assert plain.get_data() == unexpanded.get_data()
    assert plain.headers["ETag"] == unexpanded.headers["ETag"]
    assert client.get(f"/api/ride/{ride}?expand=all", headers=reader).status_code == 422


UNPACK = {"zstd": zstd.decompress, "gzip": gzip.decompress, "br": brotli.decompress}


def test_a_compressed_page_is_the_page_asked_again_and_after_a_new_ride(app, client, many, reader):
    """Compressed bodies are kept per process (app.extensions.CachingCompress): by the body, never
    by the address, so a page that changed is compressed afresh."""
    path = "/api/daily?date=2026-05-01"
    for new_ride in (None, MAY_1 + timedelta(hours=3)):
        if new_ride is not None:
            land(app, "SD9", new_ride, RIDER, [reading(d, new_ride) for d in range(1, 4)])
        plain = client.get(path, headers={**reader, "Accept-Encoding": "identity"}).get_data()
        assert len(plain) > app.config["COMPRESS_MIN_SIZE"]
        for coding in ("zstd", "gzip"):
            for _ in range(2):
                packed = client.get(path, headers={**reader, "Accept-Encoding": coding})
                assert packed.headers["Content-Encoding"] == coding
                assert int(packed.headers["Content-Length"]) == len(packed.get_data())
                assert UNPACK[coding](packed.get_data()) == plain
    assert plain.count(b'"ride_id"') == len(many) + 1


@pytest.mark.parametrize("accept, coding", [("gzip;q=0", None), ("gzip;q=0, br;q=0, zstd;q=0", None),
                                            ("gzip; q=0.000, zstd", "zstd"), ("zstd;q=0, *;q=0.5", "br"),
                                            ("gzip;q=0.5", "gzip")])
def test_an_encoding_the_client_refuses_is_never_sent(client, many, reader, accept, coding):
    # RFC 9110: q=0 means "not acceptable"; Flask-Compress alone answered gzip;q=0 in gzip.
    response = client.get("/api/daily?date=2026-05-01", headers={**reader, "Accept-Encoding": accept})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == coding
    assert b'"ride_id"' in (UNPACK[coding](response.get_data()) if coding else response.get_data())
