"""The Plan tab: the plan workbench with its editor (one row per hyperparameter, grouped in
the guide's tuning order), the header (task, data, objective), the run settings (strategy,
early stopping, budget, devices), and the advice panel beside them."""
