"""The app's state logic: one world week by week, two strategies in step, the seminar
game. Plain Python and NumPy that a web UI drives; no framework is imported here."""
