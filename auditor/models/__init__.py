"""Where weights come from and how they load: sources, loading, devices and ranks."""
