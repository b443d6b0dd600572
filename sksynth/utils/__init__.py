"""Utilities for users and for the project's own tests."""
