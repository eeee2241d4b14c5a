"""Bridge's shared library: every Cloud Function imports from here.

Importing this package is cheap on purpose: heavy SDKs load lazily (see ``shared.bootstrap``).
"""
