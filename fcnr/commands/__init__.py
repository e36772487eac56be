"""Subcommands of the fcnr command-line tool (see fcnr/cli.py)."""
