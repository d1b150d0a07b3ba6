"""The audit: profiles, the staged pipeline, stored audits read back, and the gate."""
