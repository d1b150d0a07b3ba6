"""`python -m auditor` runs the spillover CLI."""

from .cli import main

main(prog_name="spillover")
