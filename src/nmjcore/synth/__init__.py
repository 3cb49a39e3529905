"""Synthetic serial-section EM with exact ground truth (filled in by the phantom work)."""
