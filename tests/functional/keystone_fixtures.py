"""Fixtures for tests that need a real Keystone (filled in by the Keystone work)."""
