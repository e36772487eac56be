"""Volumes, views and headless rendering: everything before the codec."""
