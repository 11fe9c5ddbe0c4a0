# A stand-in for the socket module, which the WebAssembly port lacks; the umqtt.simple
# stand-in never opens a connection, so nothing here is called.


def socket(*args):
    raise OSError(95)


def getaddrinfo(host, port, *rest):
    raise OSError(95)
