"""`python -m auditor` runs the spillover CLI."""

from auditor.cli import main

main(prog_name="spillover")
