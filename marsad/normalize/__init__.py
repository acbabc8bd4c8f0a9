"""Normalization: a matching copy of each text, never a replacement for the original."""
from marsad.normalize.arabic import fold, fold_digits

__all__ = ["fold", "fold_digits"]
