"""GET /healthz: whether every part of the system answers."""
from flask import Blueprint, jsonify

from app.services import health

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """Liveness: the web process answers (checks nothing else; the API bench's baseline)."""
    return jsonify(status="ok")


@bp.get("/healthz")
def healthz():
    """Report each component's state, the consumer's counters and the job queues; 503 when one is down."""
    checks = health.run_checks()
    healthy = all(result["ok"] for result in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks,
            "consumer": health.consumer_counters(),
            # Failed jobs are shown, not a reason for 503: the system still runs.
            "jobs": health.job_counts()}
    return jsonify(body), 200 if healthy else 503
