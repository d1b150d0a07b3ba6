"""Aligning a model with LoRA preference training: settings, data, split, trl session."""
