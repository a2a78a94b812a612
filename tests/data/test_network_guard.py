"""The guard in conftest.py really blocks sockets, so the other data tests prove offline use."""

import socket

import pytest


def test_connections_are_refused():
    with pytest.raises(RuntimeError, match="tried to reach the network"):
        socket.create_connection(("example.com", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="tried to reach the network"):
        sock.connect(("127.0.0.1", 9))
