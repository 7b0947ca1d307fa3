"""Linked-data service for the shared language of teacher support (docentondersteuning)."""

__version__ = "1.0.0"
