"""The soak: a simulated stretch of T-Minus operation (the real bot, the fakes, a real SQLite file) checked
against an independent oracle computed from the scenario script."""
