"""FCNR: fast compressive neural representation of visualization images."""

__version__ = "0.1.0"
