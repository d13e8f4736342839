"""`remediate`: the command line, the outermost layer (it calls flows and deployments)."""
