"""fireline: self-hosted incident response, from the first alert to the last lesson learned."""

__version__ = "0.1.0"
