"""pyftpdlib FTP + explicit FTPS server for test/services/ftp.sh (one user with a password AND
anonymous, both with write access, on one root; AUTH TLS offered but not required, so plain
ftp:// and ftps:// clients share the server). pyftpdlib's CLI takes either a user or anonymous,
not both, hence this launcher.

usage: ftp_server.py ROOT PORT PASSIVE_FIRST-PASSIVE_LAST USER PASSWORD CERTFILE KEYFILE
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> None:
    root, port, passive, user, password, certfile, keyfile = sys.argv[1:8]
    first, last = (int(p) for p in passive.split("-"))
    perms = "elradfmwMT"  # every read and write permission (list, retrieve, store, delete, rename, mkdir, …)
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm=perms)
    authorizer.add_anonymous(root, perm=perms)

    class Handler(TLS_FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.certfile = certfile
    Handler.keyfile = keyfile
    Handler.tls_control_required = False
    Handler.tls_data_required = False
    Handler.passive_ports = list(range(first, last + 1))
    Handler.permit_foreign_addresses = False
    Handler.banner = "mlstore test ftp (pyftpdlib) ready"
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    server = FTPServer(("127.0.0.1", int(port)), Handler)
    server.max_cons = 256
    server.serve_forever()


if __name__ == "__main__":
    main()
