"""The demo organization's data for ``make run``, built through the services."""
