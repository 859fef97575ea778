"""One pure parser per monitoring source: decoded JSON in, :class:`AlertIn` out."""
