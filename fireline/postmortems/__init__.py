"""Blameless post-mortems and the action items that come out of them."""
