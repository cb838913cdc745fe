"""The "Trials and curves" tab: the experiment overview at the top, the stage panel of a
staged search, and the splitter that holds the trials table (hpdesk.gui.trials) beside the
curves (hpdesk.gui.curves)."""
