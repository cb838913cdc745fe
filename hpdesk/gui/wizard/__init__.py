"""The New experiment dialog: choose a task or "my own script", its data and objective; for a
script, its command, how parameters reach it and how its metrics are read. It ends with a plan
for the workbench."""
