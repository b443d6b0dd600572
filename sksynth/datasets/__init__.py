"""Real datasets bundled with sksynth."""

from ._base import load_adult

__all__ = ["load_adult"]
