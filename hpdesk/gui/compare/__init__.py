"""The Compare tab: parameter importance, parallel coordinates, slice plots, the Pareto front
and the population view, drawn in one shared style."""
