# A stand-in for micropython-lib's umqtt.simple: records what the device sends.
sent = []
events = []


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=None):
        events.append(["init", client_id, server, port, user, password, keepalive])
        self.sock = None

    def set_last_will(self, topic, msg, retain=False, qos=0):
        events.append(["will", topic, bytes(msg).decode(), retain, qos])

    def connect(self, clean_session=True, timeout=None):
        events.append(["connect", timeout])
        return 0

    def publish(self, topic, msg, retain=False, qos=0):
        sent.append([topic, bytes(msg), retain, qos])

    def ping(self):
        events.append(["ping"])

    def check_msg(self):
        return None

    def disconnect(self):
        events.append(["disconnect"])
