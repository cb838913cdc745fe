"""The trials table: its item model, the sort and filter proxy, column widths, the view with its
context menu, and the log window of one trial."""
