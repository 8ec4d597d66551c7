"""Rider-facing live pages: the fleet and each bike's screen."""
from flask import Blueprint

bp = Blueprint("live", __name__, template_folder="../../templates")

from app.blueprints.live import filters, views  # noqa: E402,F401
