"""The processors the portal knows, by the name in ``/webhooks/<name>/``."""

from payportal.processors.base import Processor
from payportal.processors.sandbox import SandboxProcessor

_PROCESSORS: dict[str, type[Processor]] = {SandboxProcessor.name: SandboxProcessor}


class UnknownProcessor(LookupError):
    pass


def get_processor(name: str) -> Processor:
    try:
        return _PROCESSORS[name]()
    except KeyError as error:
        raise UnknownProcessor(name) from error


def names() -> tuple[str, ...]:
    return tuple(_PROCESSORS)
