"""A real Apache Kafka broker (KRaft, one node) for bench/stream/kafka_bench.py,
on 127.0.0.1 at random free ports, from the Maven Central jars that
scripts/peers/install-kafka.sh caches (fetched here when missing). The tests
use tests/py/peers.py's `kafka` fixture instead; this one lets the benchmark
own its broker's heap and lifetime."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import base64

KAFKA_VERSION = os.environ.get("FEAST_KAFKA_VERSION", "4.1.2")
LOG4J_SLF4J = "2.24.3"
CACHE = os.environ.get("FEAST_PEER_CACHE", os.path.expanduser("~/.cache/feast-c"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kafka_home():
    """A folder with lib/*.jar: the peer cache's when it is there, else fetched."""
    home = os.environ.get("FEAST_KAFKA_HOME") or os.path.join(CACHE, f"kafka-{KAFKA_VERSION}")
    if os.path.exists(os.path.join(home, ".complete")) or (
            os.path.isdir(os.path.join(home, "lib")) and any(n.startswith("kafka_2.13") for n in os.listdir(
                os.path.join(home, "lib")))):
        return home
    if not shutil.which("mvn") or not shutil.which("java"):
        raise RuntimeError("the Kafka broker needs java and mvn (apt-get install default-jre-headless maven)")
    work = tempfile.mkdtemp(prefix="feast-kafka-jars.")
    try:
        with open(os.path.join(work, "pom.xml"), "w") as f:
            f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.feastc</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_SLF4J}</version></dependency>
  </dependencies>
</project>
""")
        lib = os.path.join(home, "lib")
        os.makedirs(lib, exist_ok=True)
        subprocess.run(["mvn", "-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime",
                        f"-DoutputDirectory={lib}"], cwd=work, check=True, timeout=600)
        open(os.path.join(home, ".complete"), "w").close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return home


class Broker:
    def __init__(self):
        self.home = kafka_home()
        self.dir = tempfile.mkdtemp(prefix="feast-kafka.")
        self.port, self.cport = _free_port(), _free_port()
        while self.cport == self.port:
            self.cport = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.proc = None
        props = f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{self.cport}
listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.cport}
advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={self.dir}/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
"""
        with open(os.path.join(self.dir, "kraft.properties"), "w") as f:
            f.write(props)
        with open(os.path.join(self.dir, "log4j2.properties"), "w") as f:
            f.write(f"""status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {self.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
""")
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=").lstrip("-") or "feastc0"
        subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cluster, "-c",
                                  os.path.join(self.dir, "kraft.properties")),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        self._launch()

    def _java(self, *args):
        return ["java", "-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.dir}/log4j2.properties", "-cp",
                os.path.join(self.home, "lib", "*"), *args]

    def _launch(self):
        out = open(os.path.join(self.dir, "kafka.out"), "ab")
        self.proc = subprocess.Popen(self._java("kafka.Kafka", os.path.join(self.dir, "kraft.properties")),
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, secs=90):
        from confluent_kafka.admin import AdminClient
        end = time.time() + secs
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Kafka broker exited; see {self.dir}/kafka.out and server.log")
            try:
                md = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0}).list_topics(timeout=2)
                if 1 in md.brokers and all(p.leader >= 0 for t in md.topics.values()
                                           for p in t.partitions.values()):
                    return
            except Exception:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the Kafka broker at {self.bootstrap} did not answer in {secs} s")

    def create_topic(self, name, partitions):
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        fut = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        fut[name].result(30)
        del admin
        self._wait_ready()

    def stop_process(self, kill=False):
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def restart(self, kill=True, down_seconds=0.0):
        """Stop (kill -9 by default) and start again on the same ports and data."""
        self.stop_process(kill=kill)
        time.sleep(down_seconds)
        self._launch()

    def close(self):
        self.stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)
