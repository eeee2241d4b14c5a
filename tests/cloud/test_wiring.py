"""With BRIDGE_CLOUD=gcp the composition root builds the Google adapters, lazily and without clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from shared.bootstrap import Container
from shared.settings import Settings

c = Container(Settings())
store, keys, queue, identity = c.store("dashboards"), c.key_manager, c.task_queue, c.identity
print(json.dumps({
    "store": [type(store).__name__, store.bucket, store._project, store._handle is None],
    "keys": [type(keys).__name__, keys.key_name, keys._client is None],
    "queue": [type(queue).__name__, queue.queue_path, queue.target_url, queue.service_account, queue._client is None],
    "identity": [type(identity).__name__, type(identity.inner).__name__, type(identity.inner.inner).__name__,
                 identity.inner.inner._audience],
    "sdks": sorted(m for m in sys.modules if m.startswith(("google.cloud.", "google.genai"))),
}))
"""

ENV = {
    "BRIDGE_CLOUD": "gcp",
    "BRIDGE_GCP_PROJECT": "bridge-prod",
    "BRIDGE_BUCKET_DASHBOARDS": "bridge-prod-dashboards",
    "BRIDGE_KMS_KEY": "projects/bridge-prod/locations/europe-west1/keyRings/bridge/cryptoKeys/secrets",
    "BRIDGE_TASKS_QUEUE": "projects/bridge-prod/locations/europe-west1/queues/bridge-agent-steps",
    "BRIDGE_TASKS_TARGET_URL": "https://europe-west1-bridge-prod.cloudfunctions.net/bridge-agent-step",
    "BRIDGE_TASKS_SERVICE_ACCOUNT": "tasks-invoker@bridge-prod.iam.gserviceaccount.com",
}


def test_gcp_settings_build_every_google_adapter_without_a_client_or_sdk(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(ENV, BRIDGE_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    built = json.loads(done.stdout)

    assert built["store"] == ["GcsObjectStore", "bridge-prod-dashboards", "bridge-prod", True]
    assert built["keys"] == ["KmsKeyManager", ENV["BRIDGE_KMS_KEY"], True]
    assert built["queue"] == [
        "CloudTasksQueue",
        ENV["BRIDGE_TASKS_QUEUE"],
        ENV["BRIDGE_TASKS_TARGET_URL"],
        ENV["BRIDGE_TASKS_SERVICE_ACCOUNT"],
        True,
    ]
    assert built["identity"] == ["CachingIdentity", "SubjectBinding", "GoogleIdentity", "bridge-prod"]
    assert built["sdks"] == []
