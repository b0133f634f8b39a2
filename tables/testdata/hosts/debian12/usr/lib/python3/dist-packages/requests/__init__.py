"""Requests HTTP Library."""
