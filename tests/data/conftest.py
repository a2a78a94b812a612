"""Every data test runs with the network cut off: datasets must be generated locally."""

import socket

import pytest


def _refuse(*args, **kwargs):
    raise RuntimeError(f"a data test tried to reach the network: {args!r}")


# Module scope, so module-scoped fixtures that prepare datasets run offline too; it ends with
# each module and never leaks into tests outside tests/data.
@pytest.fixture(autouse=True, scope="module")
def no_network():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        patch.setattr(socket, "getaddrinfo", _refuse)
        yield
