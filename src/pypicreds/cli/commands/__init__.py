"""Command declarations, one module per family; cli/app.py registers them."""
