"""Reads a cache hit needs from the directory database, through SQLAlchemy or plain DB-API."""
