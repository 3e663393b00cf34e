#!/usr/bin/python3
"""Serves one shell per WebSocket with terminado (Jupyter's terminal server), for bench/run terminal.

Usage: terminado_server.py SHELL [ARGS...]   (listens on a free loopback port and prints "PORT <n>")
Protocol: ws://127.0.0.1:<n>/websocket, JSON text frames ["stdin", text], ["set_size", rows, cols] from the client,
["setup", {}] and ["stdout", text] from the server.
"""
import socket
import sys

import tornado.httpserver
import tornado.ioloop
import tornado.web
from terminado import TermSocket, UniqueTermManager


def main():
    manager = UniqueTermManager(shell_command=sys.argv[1:] or ["bash"])
    app = tornado.web.Application([(r"/websocket", TermSocket, {"term_manager": manager})])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    print("PORT", sock.getsockname()[1], flush=True)
    tornado.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
