"""Replaying hyperparameter searches against a table of real training curves.

`table`: the curves table (`benchmarks/curves/digits_mlp.npz`), the snapping of a suggested
configuration onto the table's grid, and the target (the table's best 1 %).
`plans`: the plan a user would write for the task, as YAML, with any strategy and pruner.
`engine`: one search replayed trial by trial (hpdesk's strategy and pruner driven as the
scheduler drives them, or plain Optuna as people use it) and what it cost.
`catalogue`: the named strategies the benchmark compares, and the exploration candidates.
"""
