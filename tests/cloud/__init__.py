"""Tests that drive the real Google client libraries against local servers."""
