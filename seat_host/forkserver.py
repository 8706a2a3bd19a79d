"""A fork server for seats (Linux): import once, fork a ready seat per request.

The room server starts it with a Unix socket on stdin. Each request is one byte, b"F", with
one file descriptor attached (SCM_RIGHTS): the seat's end of a socket pair. The fork server
forks; the child makes that descriptor its stdin and stdout and runs the seat; the parent
answers with the child's pid (4 bytes, big-endian). Children share the imported modules'
memory with this process until they write to it (`gc.freeze` keeps the collector from
touching, and so copying, everything imported here). EOF on the socket ends the fork server.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys


def serve(control_fd: int = 0) -> int:
    from .seat import preload, run_from_stdin, warm_up

    preload()
    warm_up()
    control = socket.socket(fileno=os.dup(control_fd))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, control_fd)  # keep 0-2 taken, so a received descriptor is never numbered 0
    os.close(null)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the server's console stops the server, which closes us
    gc.collect()
    gc.freeze()
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1, 1)
        except OSError:
            return 0
        if not message:
            return 0
        if message != b"F" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.dup2(fds[0], 0)
            os.dup2(fds[0], 1)
            if fds[0] > 2:
                os.close(fds[0])
            code = 1
            try:
                code = run_from_stdin()
            finally:
                sys.stdout.flush()
                os._exit(code)
        os.close(fds[0])
        control.sendall(pid.to_bytes(4, "big"))
