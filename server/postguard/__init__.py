"""Postguard: warns employees before they post their company's taboo topics, on their own machine."""

__version__ = "0.1.0"
