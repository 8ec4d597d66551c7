"""The web app's base: layout, health, errors."""
from contextlib import closing

from kafka import TopicPartition

from app.live import store
from app.stream import failures


def test_the_base_layout_serves_vendored_htmx_and_both_themes(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '/static/vendor/htmx-2.0.11.min.js' in html
    assert 'id="theme-toggle"' in html
    assert "https://" not in html  # no asset leaves the machine
    with client.get("/static/vendor/htmx-2.0.11.min.js") as htmx:  # closed: a static file stays open
        assert htmx.status_code == 200
    with client.get("/static/css/app.css") as css:
        assert '[data-theme="dark"]' in css.get_data(as_text=True)


def test_healthz_reports_every_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"warehouse", "live_store", "redis"}


def test_healthz_checks_kafka_when_configured(app):
    app.config["KAFKA_HEALTHCHECK"] = True
    body = app.test_client().get("/healthz").get_json()
    assert body["checks"]["kafka"] == {"ok": True}


def test_healthz_answers_503_when_redis_is_down_naming_it_without_its_address(app):
    app.config["REDIS_URL"] = "redis://localhost:6390/0"  # nothing listens there
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["redis"] == {"ok": False} and body["checks"]["consumer"] == {"ok": True}
    assert "6390" not in response.get_data(as_text=True)  # public: no address, no error text


def test_errors_are_json_under_api_and_html_elsewhere(client):
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.get_json()["code"] == 404 and api.get_json()["message"]
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "<html" in page.get_data(as_text=True)


def test_a_partition_the_consumer_paused_fails_healthz_and_is_explained_by_stats(app):
    reason = "CorruptRecordError: Record batch for partition deloton-2 at offset 1234 failed crc check"
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as conn:
        failures.record(conn, TopicPartition("deloton", 2), 1234, reason)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["consumer"] == {"ok": False}
    assert "crc" not in response.get_data(as_text=True)
    table = app.test_cli_runner().invoke(args=["deloton", "stats"]).output
    assert "FAILING" in table and "deloton/2 paused at offset 1234" in table and reason in table
