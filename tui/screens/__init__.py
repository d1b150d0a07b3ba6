"""Screens of the spillover app: home, run, results, drill-down and help."""
