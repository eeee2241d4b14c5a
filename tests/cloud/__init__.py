"""Tests that drive the real Google client libraries against local servers.

Stand-ins (each says in its docstring why it is a fake): FakeGcsServer (+ an Eventarc path to a
functions-framework CloudEvent function), FakeKmsServer, FakeCloudTasksServer (dispatching to a
functions-framework HTTP target), FakeGoogleIssuer (token signing certs),
ReplayBigQueryServer (recorded BigQuery REST exchanges), and LocalCloudSql (the Cloud SQL Admin
API and a TLS server-side proxy on port 3307 in front of the real Postgres, for the connector). ``stores.py`` wires the adapters to
them for the contract suites in tests/contract.
"""
