"""Services: the openFDA client, the cache and the project rules."""
