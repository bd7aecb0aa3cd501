"""Start the served application on a socket bound (and listening) before anything is announced.

The banner ``lss serve`` prints names the address actually bound (``--port 0`` shows the port the system
chose), and a taken port is a clear error instead of a banner followed by uvicorn's failure.
"""

from __future__ import annotations

import socket

from lss_pathway.api.settings import ServiceSettings, to_environment

BACKLOG = 2048
"""uvicorn's default: connections made while the workers start wait here instead of being refused."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; ``OSError`` when the address is taken or not local."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)  # worker processes serve the same socket
    return sock


def bound_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(sock: socket.socket, settings: ServiceSettings, workers: int) -> None:
    """Serve on ``sock`` until interrupted: in this process, or in ``workers`` processes sharing it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from lss_pathway.server.logs import log_config

    access_log = settings.access_log_sample > 0
    if workers == 1:
        from lss_pathway.server.app import create_app

        config = uvicorn.Config(
            create_app(settings), log_config=log_config(), log_level="info", access_log=access_log
        )
        uvicorn.Server(config).run(sockets=[sock])
        return
    to_environment(settings)
    config = uvicorn.Config(
        "lss_pathway.server.app:create_app_from_environment",
        factory=True,
        workers=workers,
        log_config=log_config(),
        log_level="info",
        access_log=access_log,
    )
    Multiprocess(config, sockets=[sock]).run()
