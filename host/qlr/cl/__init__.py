"""Continual learning: the learning event, the replay policy, the memory plan."""
