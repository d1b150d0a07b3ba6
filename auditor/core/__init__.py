"""The vocabulary every layer shares: items, answers, events, errors, safe text."""
