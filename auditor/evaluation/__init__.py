"""Evaluating a model on BBQ items: prompts, scoring modes and the resumable run."""
