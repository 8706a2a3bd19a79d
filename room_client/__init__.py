"""The one client library both terminal apps, the simulated students and the tests use."""
