"""Reusable widgets that several pages show (progress, notices)."""
