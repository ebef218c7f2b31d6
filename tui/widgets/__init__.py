"""Reusable widgets: the live-validated JSON editor, F1 help, and the data widgets of the data screens."""
