# A stand-in for micropython-lib's umqtt.simple (1.3.4's API): records what the device sends.
socket = None  # the transport puts its bounded link here during connect()

sent = []
events = []


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False):
        events.append(["init", client_id, server, port, user, password, keepalive])
        self.sock = None

    def set_last_will(self, topic, msg, retain=False, qos=0):
        events.append(["will", topic, bytes(msg).decode(), retain, qos])

    def connect(self, clean_session=True):
        # The bounded link the transport put in place of the socket module.
        events.append(["connect", socket._timeout])
        return 0

    def publish(self, topic, msg, retain=False, qos=0):
        sent.append([topic, bytes(msg), retain, qos])

    def ping(self):
        events.append(["ping"])

    def check_msg(self):
        return None

    def disconnect(self):
        events.append(["disconnect"])
