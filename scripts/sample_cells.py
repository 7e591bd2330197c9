"""Cells to profile in the IPython console, for the screenshot in ``images/``."""

# %% Load the data once
import random

rng = random.Random(3)
points = [(rng.random(), rng.random()) for _ in range(1500)]


def distance(a, b):
    return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5


# %% Nearest neighbours
def nearest(point, others):
    return min(others, key=lambda other: distance(point, other) if other is not point
               else float("inf"))


neighbours = [nearest(p, points) for p in points[:300]]
