"""The send_hr_alert job run by the real worker against a real SMTP server: once, retried, failed."""
import subprocess
import sys
import threading
import time
from pathlib import Path

from rq import Queue, Retry
from rq.job import Job, JobStatus

from app.extensions import db
from app.models import HrAlert
from app.services.jobs import enqueue, hr_alert_job
from tests.factories import alert_kwargs
from tests.smtp_sink import SmtpSink, parts

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_worker(app, tmp_path, mail_port: int) -> subprocess.CompletedProcess:
    """`python -m worker --burst alerts` with the test services and the SMTP server's port."""
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "LIVE_DB_PATH": str(tmp_path / "live.db"), "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(mail_port), "MAIL_TIMEOUT_S": "5", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "worker", "--burst", "alerts"], env=env,
                          cwd=PROJECT_DIR, timeout=90, capture_output=True, text=True)


def stored_alerts(app) -> list[HrAlert]:
    """Every hr_alerts row, read fresh."""
    with app.app_context():
        rows = db.session.scalars(db.select(HrAlert).order_by(HrAlert.duration_s)).all()
        db.session.expunge_all()
        return rows


def test_the_worker_emails_the_rider_once_with_what_to_do(app, redis_conn, smtp, tmp_path):
    enqueue(redis_conn, hr_alert_job(**alert_kwargs(duration_s=5, heart_rate=187)))
    run_worker(app, tmp_path, smtp.port)

    [(recipients, message)] = smtp.messages
    assert recipients == ["steven.p@gmail.com"]
    assert message["Subject"] == "Heart-rate alert: 187 bpm is above your limit of 180 bpm"
    text, html = parts(message)
    for body in (" ".join(text.split()), " ".join(html.split())):
        assert "Hello Steven," in body
        assert "187 bpm" in body and "180 bpm" in body
        # 23:29:40 UTC is 00:29:40 the next day in London (summer time).
        assert "00:29:40 BST" in body and "Thursday 7 July 2022" in body
        assert "Slow down" in body and "Stop riding" in body and "Seek medical help" in body
        assert "the Tanaka formula" in body and "you were 40 on the day of this ride" in body
    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts, alert.recipient, alert.heart_rate) == \
        ("sent", 1, "steven.p@gmail.com", 187)
    assert alert.user_id == 100 and alert.sent_at is not None
    assert alert.body_html.split() == html.split()


def test_a_second_run_of_the_same_alert_sends_nothing(app, redis_conn, smtp, tmp_path):
    queue = Queue("alerts", connection=redis_conn)
    for _ in range(2):  # two jobs for one alert: a re-run, whatever its job id
        queue.enqueue("worker.jobs.send_hr_alert", kwargs=alert_kwargs())
    run_worker(app, tmp_path, smtp.port)
    queue.enqueue("worker.jobs.send_hr_alert", kwargs=alert_kwargs())
    run_worker(app, tmp_path, smtp.port)

    assert len(smtp.messages) == 1
    assert [(a.status, a.attempts) for a in stored_alerts(app)] == [("sent", 1)]


def test_two_workers_running_the_alert_at_once_send_one_email(app, redis_conn, smtp, tmp_path):
    queue = Queue("alerts", connection=redis_conn)
    for _ in range(4):
        queue.enqueue("worker.jobs.send_hr_alert", kwargs=alert_kwargs())
    workers = [threading.Thread(target=run_worker, args=(app, tmp_path, smtp.port)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(smtp.messages) == 1
    assert [a.status for a in stored_alerts(app)] == ["sent"]


def test_an_alert_is_retried_while_smtp_is_down_and_arrives_once_it_is_back(app, redis_conn,
                                                                            tmp_path):
    sink = SmtpSink()  # its port is closed until start()
    job = enqueue(redis_conn, hr_alert_job(**alert_kwargs()), retry=Retry(max=3, interval=[1]))
    run_worker(app, tmp_path, sink.port)

    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in alert.last_error
    assert job.get_status(refresh=True) == JobStatus.SCHEDULED
    sink.start()
    try:
        time.sleep(1.5)  # the retry's backoff interval
        run_worker(app, tmp_path, sink.port)
        assert len(sink.messages) == 1
    finally:
        sink.stop()
    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("sent", 2)
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_an_alert_whose_retries_run_out_is_marked_failed(app, redis_conn, tmp_path):
    sink = SmtpSink()  # never started: every attempt is refused
    job = enqueue(redis_conn, hr_alert_job(**alert_kwargs()), retry=Retry(max=2))
    run_worker(app, tmp_path, sink.port)

    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in alert.last_error
    assert Job.fetch(job.id, connection=redis_conn).get_status() == JobStatus.FAILED


def test_the_standard_alert_job_retries_with_backoff_and_reports_failure(redis_conn):
    job = enqueue(redis_conn, hr_alert_job(**alert_kwargs()))
    assert job.retries_left == 8 and job.retry_intervals[:3] == [5, 15, 30]
    assert job.failure_callback.__name__ == "mark_hr_alert_failed"


def test_an_address_with_a_non_ascii_local_part_is_sent_with_smtputf8(app, redis_conn, tmp_path):
    sink = SmtpSink(smtputf8=True).start()
    try:
        enqueue(redis_conn, hr_alert_job(**alert_kwargs(email_address="ayşe.ø69@example.com")))
        run_worker(app, tmp_path, sink.port)
    finally:
        sink.stop()
    [(recipients, message)] = sink.messages
    assert recipients == ["ayşe.ø69@example.com"]
    assert message["To"] == "ayşe.ø69@example.com"
    assert message["Subject"] == "Heart-rate alert: 187 bpm is above your limit of 180 bpm"
    text, html = parts(message)
    assert "Hello Steven," in text and "Hello Steven," in html
    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("sent", 1)


def test_without_smtputf8_on_the_server_such_an_address_fails_at_once_saying_so(
        app, redis_conn, smtp, tmp_path):
    job = enqueue(redis_conn, hr_alert_job(**alert_kwargs(email_address="zoë.s5@gmail.com")))
    run_worker(app, tmp_path, smtp.port)  # the `smtp` sink does not offer SMTPUTF8

    assert smtp.messages == []
    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("failed", 1)
    assert "cannot email 'zoë.s5@gmail.com'" in alert.last_error
    assert "does not offer SMTPUTF8" in alert.last_error
    assert job.get_status(refresh=True) == JobStatus.FINISHED  # not retried for 40 minutes


def test_an_address_with_a_line_break_is_refused_at_once_with_the_reason(app, redis_conn, smtp,
                                                                         tmp_path):
    hostile = "victim@example.com\r\nBcc: attacker@evil.test"
    job = enqueue(redis_conn, hr_alert_job(**alert_kwargs(email_address=hostile)))
    run_worker(app, tmp_path, smtp.port)

    assert smtp.messages == []
    [alert] = stored_alerts(app)
    assert (alert.status, alert.attempts) == ("failed", 0)
    assert "line break" in alert.last_error
    assert job.get_status(refresh=True) == JobStatus.FINISHED
