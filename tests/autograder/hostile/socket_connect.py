"""Phones home; earns the point only if the network is reachable."""
import math  # noqa: F401
import socket

PORT = int("__PORT__")


def add(a, b):
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        return a + b
    except OSError:
        return None
