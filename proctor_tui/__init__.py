"""The test administrator's console."""
