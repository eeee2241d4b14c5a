"""Tests that drive the real Google client libraries against local servers.

Stand-ins (each says in its docstring why it is a fake): FakeGcsServer (+ an Eventarc path to a
functions-framework CloudEvent function), FakeKmsServer, FakeCloudTasksServer (dispatching to a
functions-framework HTTP target), FakeGoogleIssuer (token signing certs), and
ReplayBigQueryServer (recorded BigQuery REST exchanges). ``stores.py`` wires the adapters to
them for the contract suites in tests/contract.
"""
