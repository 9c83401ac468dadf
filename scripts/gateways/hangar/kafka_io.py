"""Kafka side of scripts/gateways/hangar-otlp.sh (confluent-kafka, in the gateways venv).

  kafka_io.py check    BROKERS
      exit 1 with a message unless the cluster answers a metadata request.
  kafka_io.py offsets  BROKERS TOPIC
      print the topic's high watermarks as JSON {"partition": offset};
      {} when the topic does not exist yet.
  kafka_io.py count    BROKERS TOPIC OFFSETS_JSON protobuf|json [EXPECT_RECORDS TIMEOUT_S]
      read TOPIC from OFFSETS_JSON (a partition not in it from its start) up to
      the high watermarks and print "MESSAGES RECORDS": the Kafka messages and
      the OTLP log records in them. A rotel message is, for protobuf, one
      ExportLogsServiceRequest; for json, a JSON array of ResourceLogs. With
      EXPECT_RECORDS, read again until that many records have landed or
      TIMEOUT_S passed. Exits 1 if a message does not decode.
  kafka_io.py produce  BROKERS TOPIC FILE
      produce FILE line by line, one message per line, the value the line's
      bytes without its newline (empty lines skipped), keyed by the line's
      user_id (Hangar's caller; else caller_id, else provider_id, which a
      server state change has, else no key) so one caller's lines stay in
      order on one partition. Prints the count; exits 1
      unless every message was delivered.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def fail(msg):
    print(f"kafka_io: {msg}", file=sys.stderr)
    sys.exit(1)


def consumer(brokers):
    return Consumer({
        "bootstrap.servers": brokers,
        "group.id": "hangar-otlp-count",
        "enable.auto.commit": False,
        # Connection failures surface as exceptions or timeouts below; without
        # this, librdkafka logs every reconnect attempt to stderr.
        "log_level": 2,
    })


def partitions(c, topic):
    # All topics: asking for one by name may create it.
    t = c.list_topics(timeout=10).topics.get(topic)
    if t is None or t.error is not None:
        return []
    return sorted(t.partitions)


def check(brokers):
    c = consumer(brokers)
    try:
        c.list_topics(timeout=10)
    except KafkaException as e:
        fail(f"no Kafka cluster answers at {brokers}: {e}")
    finally:
        c.close()


def offsets(brokers, topic):
    c = consumer(brokers)
    try:
        out = {str(p): c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions(c, topic)}
    finally:
        c.close()
    print(json.dumps(out))


def records_in(value, encoding):
    if encoding == "protobuf":
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        req = ExportLogsServiceRequest()
        req.ParseFromString(value)
        return sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
    doc = json.loads(value)
    if not isinstance(doc, list):
        raise ValueError("not a JSON array of ResourceLogs")
    return sum(len(sl.get("logRecords", [])) for rl in doc for sl in rl.get("scopeLogs", []))


def count(brokers, topic, start_json, encoding, expect=None, timeout=0.0):
    start = {int(p): o for p, o in json.loads(start_json).items()}
    c = consumer(brokers)
    pos = {}
    messages = records = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            parts = partitions(c, topic)
            new = [p for p in parts if p not in pos]
            for p in new:
                pos[p] = start.get(p, c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[0])
            if new:
                c.assign([TopicPartition(topic, p, pos[p]) for p in pos])
            high = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in pos}
            while any(pos[p] < high[p] for p in pos):
                m = c.poll(5)
                if m is None:
                    fail(f"{topic}: no message within 5 s below the high watermarks {high}")
                if m.error():
                    fail(f"{topic}: {m.error()}")
                pos[m.partition()] = m.offset() + 1
                messages += 1
                try:
                    records += records_in(m.value(), encoding)
                except Exception as e:  # noqa: BLE001 - name the message, stop
                    fail(f"{topic} partition {m.partition()} offset {m.offset()}: not {encoding} OTLP logs: {e}")
            if expect is None or records >= expect or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    finally:
        c.close()
    print(messages, records)


def key_of(line):
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    who = doc.get("user_id") or doc.get("caller_id") or doc.get("provider_id")
    return who.encode() if isinstance(who, str) and who else None


def produce(brokers, topic, path):
    errors = []
    delivered = [0]

    def report(err, _msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[0] += 1

    p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "message.timeout.ms": 30000})
    sent = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            while True:
                try:
                    p.produce(topic, value=line, key=key_of(line), on_delivery=report)
                    break
                except BufferError:
                    p.poll(0.1)
            sent += 1
            p.poll(0)
    left = p.flush(60)
    if left or errors or delivered[0] != sent:
        fail(f"{topic}: {sent} produced, {delivered[0]} delivered, {left} undelivered, errors: {errors[:3]}")
    print(sent)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "check" and len(argv) == 3:
        check(argv[2])
    elif cmd == "offsets" and len(argv) == 4:
        offsets(argv[2], argv[3])
    elif cmd == "count" and len(argv) in (6, 8):
        expect = int(argv[6]) if len(argv) == 8 else None
        count(argv[2], argv[3], argv[4], argv[5], expect, float(argv[7]) if expect is not None else 0.0)
    elif cmd == "produce" and len(argv) == 5:
        produce(argv[2], argv[3], argv[4])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
