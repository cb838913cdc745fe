"""The live curves: one plot item per trial, the metric, x-axis, scale and smoothing controls,
end markers and notes on the plot, and image and CSV export of what is drawn."""
