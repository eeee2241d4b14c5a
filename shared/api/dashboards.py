"""save_dashboard and dashboards: save (versioned), list, read, history, delete."""

from __future__ import annotations

from flask import Blueprint

save_bp = Blueprint("save_dashboard", __name__)
read_bp = Blueprint("dashboards", __name__)
