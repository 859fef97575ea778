"""On-call: who is on call when (schedules, rotations, overrides) and their calendar feeds."""
