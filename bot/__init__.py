"""factbot: answers questions about a news story from a curated, sourced YAML fact base."""

__version__ = "0.1.0"
