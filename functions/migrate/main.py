"""Cloud Function `migrate`: brings the directory database to the newest migration.

``scripts/deploy.sh`` calls it (with the deployer's ID token) after the database exists and
before the other functions' new code is deployed, so no new code serves against an old schema.
Idempotent and serialised by an advisory lock (shared/db/migrate.py). No browser reaches it:
its service has no allUsers invoker and it refuses to run where the service admits anyone.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def migrate(request: flask.Request) -> Any:
    from shared.bootstrap import get_container
    from shared.db.migrate import current_revision, grant_functions, upgrade

    c = get_container()
    if request.method != "POST":
        return {"error": {"code": "method_not_allowed", "message": "POST to migrate", "details": {}}}, 405
    if c.settings.cloud == "gcp" and not c.settings.requires_authentication:
        message = "migrate runs only behind Cloud Run's IAM check (no allUsers invoker)"
        return {"error": {"code": "forbidden", "message": message, "details": {}}}, 403
    before = current_revision(c.db.engine)
    upgrade(c.db.engine)
    granted = grant_functions(c.db.engine)
    return {"from": before, "revision": current_revision(c.db.engine), "functions_granted": granted}
