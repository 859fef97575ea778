"""Exercises: tabletop and game-day scenarios run as exercise incidents."""
