"""The thin command-line layer: parse, call the plain functions, render, map errors to exit codes.

Only this package imports typer or rich, prints, or exits."""
