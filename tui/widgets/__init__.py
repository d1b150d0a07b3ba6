"""Widgets of the spillover app."""
