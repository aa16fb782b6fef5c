"""Apache Kafka (KRaft, one combined broker + controller node) run from the jars `make install` resolves."""

from plumbing.embedded.kafka.broker import EmbeddedKafka
from plumbing.embedded.kafka.java import JavaMissing, kafka_classpath, require_java

__all__ = ["EmbeddedKafka", "JavaMissing", "kafka_classpath", "require_java"]
