"""The experiment list on the left of the window: experiments with their state and best value,
archived ones hidden unless asked for, renaming in place."""
