"""Shared pytest configuration: graded tests get the autograder's `submission` fixture."""

pytest_plugins = ["autograder.pytest_plugin"]
