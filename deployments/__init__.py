"""How the flows are served and deployed (names, parameters, schedules, work pools)."""
