"""Rider-facing live pages: the fleet and each bike's screen."""
from flask import Blueprint

bp = Blueprint("live", __name__)

from app.blueprints.live import filters, views  # noqa: E402,F401
