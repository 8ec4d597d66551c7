"""The fleet page through the Flask test client: urgency order, search, state filter, pages, bad
queries, staff links, one render per reading or second, compression."""
import gzip
import re
import time
from contextlib import closing

import pytest
from flask import template_rendered

from app.live import queries, store
from app.services.pages import fleet as fleet_view
from app.services.pages import fragment_cache
from tests import factories as lw
from tests.factories import add_staff, add_user, log_in

LIVE = {"HX-Request": "true", "HX-Target": "live-figures"}
FLEET = {"HX-Request": "true"}


@pytest.fixture
def live(app):
    """A writable connection to the app's live store, as the consumer has it."""
    conn = store.connect(app.config["LIVE_DB_PATH"])
    yield conn
    conn.close()


def riding(live, serial: str, heart_rate: int, user_id: int = 100, name: str = "Steven Pearce"):
    """A bike riding, its latest reading at this heart rate (the rider's limit is about 174)."""
    start = lw.start_ride(live, serial, lw.rider_json(user_id=user_id, name=name, bike_serial=serial))
    lw.add_reading(live, serial, start, 1, heart_rate)


def idle(live, serial: str, seen_ago_s: float = 0) -> None:
    """A bike heard from `seen_ago_s` seconds ago, with no ride (silent after 10 s)."""
    live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES (?, ?)", (serial, time.time() - seen_ago_s))
    live.commit()


def serials(html: str) -> list[str]:
    return re.findall(r'data-bike="([^"]+)"', html)


def six_bikes_of_every_state(live) -> None:
    """Two above the limit, one to hold the handlebars, one riding, one idle, one silent."""
    idle(live, "SN0001", seen_ago_s=60)
    idle(live, "SN0002")
    riding(live, "SN0003", 0)
    riding(live, "SN0004", 190)
    riding(live, "SN0005", 120)
    riding(live, "SN0006", 185)


def test_the_fleet_is_sorted_by_urgency_with_badges(client, live):
    six_bikes_of_every_state(live)
    html = client.get("/").get_data(as_text=True)
    # Above the limit, hold the handlebars, riding, idle, silent; ties by serial.
    assert serials(html) == ["SN0004", "SN0006", "SN0003", "SN0005", "SN0002", "SN0001"]
    states = re.findall(r'data-state="([^"]+)"', html)
    assert states == ["above", "above", "hold", "riding", "idle", "silent"]
    assert html.count("badge-above\">Above the limit") == 2 and "badge-hold\">Hold the handlebars" in html
    assert "6 bikes:" in html and "2 above the limit" in html and "1 silent" in html


def test_search_by_serial_or_rider_name_and_filter_by_state(client, live):
    riding(live, "SN0001", 120, user_id=1, name="Ayşe Yılmaz")
    riding(live, "SN0002", 190, user_id=2, name="Bob Stone")
    riding(live, "SN0003", 0, user_id=3, name="Carla Stone")
    idle(live, "AB7777")
    assert serials(client.get("/?q=ayse+yilmaz").get_data(as_text=True)) == ["SN0001"]  # case, accents
    assert serials(client.get("/?q=stone").get_data(as_text=True)) == ["SN0002", "SN0003"]
    assert serials(client.get("/?q=b77").get_data(as_text=True)) == ["AB7777"]  # part of a serial
    assert serials(client.get("/?state=hold").get_data(as_text=True)) == ["SN0003"]
    assert serials(client.get("/?q=stone&state=above").get_data(as_text=True)) == ["SN0002"]
    html = client.get("/?q=nobody").get_data(as_text=True)
    assert serials(html) == [] and "No bike matches." in html
    # The grid polls with the same search, so the page stays filtered.
    assert 'hx-get="/?q=stone&amp;state=above"' in client.get("/?q=stone&state=above").get_data(as_text=True)


def test_the_fleet_comes_in_pages_of_100(client, live):
    for n in range(250):
        live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES (?, ?)", (f"SN{n:04d}", time.time()))
    live.commit()
    first = client.get("/").get_data(as_text=True)
    assert serials(first) == [f"SN{n:04d}" for n in range(100)]
    assert "Page 1 of 3 · 250 bikes" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/?page=3", headers=FLEET).get_data(as_text=True)
    assert serials(last) == [f"SN{n:04d}" for n in range(200, 250)] and 'rel="next"' not in last
    assert 'hx-get="/?page=3"' in last  # the poll keeps its page
    assert serials(client.get("/?page=99").get_data(as_text=True))[0] == "SN0200"  # past the end: the last


@pytest.mark.parametrize("query, message", [("state=bogus", "state must be one of"),
                                            ("page=0", "page must be"), ("page=abc", "page must be"),
                                            ("page=99999999", "page must be"),
                                            ("q=" + "x" * 101, "at most 100 characters")])
def test_a_bad_fleet_query_gets_a_clear_400(client, live, query, message):
    response = client.get("/?" + query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_staff_see_a_link_to_the_riders_pages_and_visitors_do_not(app, client, live):
    riding(live, "SN0001", 120, user_id=4242, name="Ada Lovelace")
    html = client.get("/").get_data(as_text=True)
    assert "rider-link" not in html and "Lovelace" not in html  # the public page: first names only
    with app.app_context():
        add_staff()
        add_user(4242, "Ada Lovelace")
        from app.extensions import db
        db.session.commit()
    assert log_in(client).status_code == 302
    html = client.get("/", headers=FLEET).get_data(as_text=True)
    link = re.search(r'class="rider-link" id="rider-SN0001" href="([^"]+)">([^<]+)<', html)
    assert link and link.group(1) == "/staff/riders?q=4242" and "Ada Lovelace" in link.group(2)
    assert "Ada Lovelace" in client.get(link.group(1)).get_data(as_text=True)


@pytest.fixture
def renders(app):
    """The names of the templates rendered, in order."""
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def test_a_bike_fragment_is_rendered_once_per_reading_for_every_screen(client, live, renders, monkeypatch):
    monkeypatch.setattr(fragment_cache.time, "monotonic", lambda: 1000.0)  # all within the cache's life
    start = lw.start_ride(live, "SN0001", lw.rider_json(bike_serial="SN0001"))
    lw.add_reading(live, "SN0001", start, 1, 120)
    screens = [client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True) for _ in range(5)]
    assert renders.count("live/_live.html") == 1 and len(set(screens)) == 1
    lw.add_reading(live, "SN0001", start, 2, 130)
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert renders.count("live/_live.html") == 2 and 'data-figure="hr">130' in html


def test_the_fleet_fragment_is_rendered_once_a_second_for_every_viewer(client, live, renders, monkeypatch):
    riding(live, "SN0001", 120)
    monkeypatch.setattr(fleet_view.time, "time", lambda: 2_000_000_000.0)  # one second
    pages = [client.get("/", headers=FLEET).get_data(as_text=True) for _ in range(5)]
    assert renders.count("live/_fleet.html") == 1 and len(set(pages)) == 1
    client.get("/?state=idle", headers=FLEET)  # another view of the fleet: its own render
    assert renders.count("live/_fleet.html") == 2


def test_the_first_view_after_a_quiet_spell_is_not_stale(client, live, monkeypatch):
    now = [2_000_000_000.0]
    monkeypatch.setattr(fleet_view.time, "time", lambda: now[0])
    riding(live, "SN0001", 120)
    assert serials(client.get("/", headers=FLEET).get_data(as_text=True)) == ["SN0001"]
    riding(live, "SN0002", 150)  # arrives while nobody watches
    now[0] += 15
    assert sorted(serials(client.get("/", headers=FLEET).get_data(as_text=True))) == ["SN0001", "SN0002"]


def test_pages_and_fragments_are_compressed(client, live):
    riding(live, "SN0001", 120)
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert 'data-bike="SN0001"' in gzip.decompress(response.get_data()).decode()
    assert "Accept-Encoding" in response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


def test_the_fleet_is_sorted_by_urgency_on_a_postgresql_live_store(pg_live_app, pg_live):
    with closing(store.connect(pg_live)) as live:
        six_bikes_of_every_state(live)
    html = pg_live_app.test_client().get("/").get_data(as_text=True)
    assert serials(html) == ["SN0004", "SN0006", "SN0003", "SN0005", "SN0002", "SN0001"]
    assert re.findall(r'data-state="([^"]+)"', html) == ["above", "above", "hold", "riding", "idle", "silent"]


@pytest.fixture
def fleet_queries(monkeypatch):
    """How many times the query over every bike ran."""
    calls = []

    def counted(*args):
        calls.append(args)
        return fleet_tiles(*args)

    fleet_tiles = queries.fleet_tiles
    monkeypatch.setattr(queries, "fleet_tiles", counted)
    return calls


def test_web_processes_share_one_query_over_the_fleet_a_second(app, client, live, fleet_queries, monkeypatch):
    riding(live, "SN0001", 190, name="Ada Lovelace")
    idle(live, "SN0002")
    now = time.time()
    monkeypatch.setattr(fleet_view.time, "time", lambda: now)  # one second
    first = client.get("/", headers=FLEET).get_data(as_text=True)
    app.extensions.pop("fleet")  # the fleet page as another web process has it: nothing yet
    second = client.get("/?q=ada", headers=FLEET).get_data(as_text=True)
    assert len(fleet_queries) == 1  # the second process read the first one's rows from Redis
    assert serials(first) == ["SN0001", "SN0002"] and serials(second) == ["SN0001"]
    assert 'data-state="above"' in second and "Ada" in second


def test_the_fleet_page_works_without_redis(app, client, live, fleet_queries, monkeypatch):
    riding(live, "SN0001", 120)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://localhost:1/0")  # nothing listens there
    html = client.get("/", headers=FLEET).get_data(as_text=True)
    assert serials(html) == ["SN0001"] and len(fleet_queries) == 1


def test_the_fleet_shows_each_rides_latest_second_as_the_consumer_stored_it(client, live):
    from app.stream.pipeline import process_batch
    from tests.stream_helpers import messages
    from tests.test_stream_pipeline import SETTINGS, figure_lines, system

    second = figure_lines(0, [1, 2, 3])  # heart rates 101, 102, 103
    process_batch(live, messages([system(0)] + second[1] + second[3] + second[2], key="SD01"), SETTINGS)
    html = client.get("/", headers=FLEET).get_data(as_text=True)
    tile = re.search(r'id="tile-SD01".*?</li>', html, re.S).group(0)
    assert re.search(r'class="hr[^"]*">103\b', tile) and "102" not in tile  # second 2 came late


def test_the_fleet_rows_are_read_from_the_bikes_rows_not_their_readings(live):
    for sql, params in ((queries.FLEET_SQL, ()), (queries.FLEET_TILES_SQL, {"now": 0, "silent_s": 10})):
        plan = [row[3] for row in live.execute("EXPLAIN QUERY PLAN " + sql, params)]
        read = {detail.split()[1] for detail in plan if detail.startswith(("SCAN", "SEARCH"))}
        assert read == {"b", "r"}, plan  # each bike's row and its ride's, no reading
