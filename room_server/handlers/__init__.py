"""The handlers of the protocol's messages, one module per concern. Importing this package
registers them all with `dispatch.handles`."""

from . import answers, attempt, breaks, paperwork, proctor, questionnaire, session, streams  # noqa: F401
