"""Runs made by other tools, read into the store as ordinary runs."""
