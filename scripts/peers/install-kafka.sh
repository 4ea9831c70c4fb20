#!/usr/bin/env bash
# install-kafka.sh - fetches Apache Kafka's broker (org.apache.kafka:kafka_2.13)
# and the log4j-slf4j binding its 4.x pom lacks from Maven Central into the
# peer cache as a flat folder of jars ($KAFKA_HOME/lib), through a pom-only
# project and `mvn dependency:copy-dependencies`. About 45 jars, 43 MB.
# Prints nothing when the jars are cached; --force fetches again.
set -euo pipefail
PEER_NAME=install-kafka
. "$(dirname "$0")/common.sh"

[ "${1:-}" = --force ] && rm -rf "$KAFKA_HOME"
[ -f "$KAFKA_HOME/.complete" ] && exit 0
command -v mvn >/dev/null || peer_die "mvn is not installed (apt-get install maven)"
command -v java >/dev/null || peer_die "java is not installed (apt-get install default-jre-headless)"

work=$(mktemp -d "${TMPDIR:-/tmp}/feast-kafka-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<!-- Only a dependency list: fetches the Kafka broker and a log4j binding. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.feastc</groupId>
  <artifactId>kafka-peer</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_SLF4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.8.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
POM
(
  cd "$work"
  mvn -B -q -Dmaven.repo.local="$work/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/lib"
)
ls "$work/lib"/kafka_2.13-*.jar >/dev/null 2>&1 || peer_die "no kafka_2.13 jar was fetched"
rm -rf "$KAFKA_HOME"
mkdir -p "$KAFKA_HOME"
mv "$work/lib" "$KAFKA_HOME/lib"
touch "$KAFKA_HOME/.complete"
