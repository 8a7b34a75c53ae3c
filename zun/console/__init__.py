"""The console proxy of attach and interactive exec (``zun-wsproxy``).

Clients reach a container's tty only through here: a websocket checked for
its origin and a single-use token before the handshake completes, relayed
as raw bytes to the container's compute agent (see ``proxy``).
"""
