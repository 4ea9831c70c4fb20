/*
 * kafka_consume_bench.c - the ceiling of bench/stream/run.sh: a bare
 * librdkafka consumer that only receives (touches each payload's length)
 * the messages of a topic from the beginning, in a fresh group, with the
 * same batch call our connector uses (rd_kafka_consume_batch_queue).
 *
 *   kafka_consume_bench BOOTSTRAP TOPIC MESSAGES
 *
 * Prints one JSON line: messages, bytes, seconds (from the first message).
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: kafka_consume_bench BOOTSTRAP TOPIC MESSAGES\n");
    return 2;
  }
  long long want = atoll(argv[3]);
  char errstr[512], group[64];
  snprintf(group, sizeof group, "ceiling-%ld", (long)time(NULL));
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *kv[][2] = {{"bootstrap.servers", argv[1]}, {"group.id", group}, {"auto.offset.reset", "earliest"},
                         {"enable.auto.commit", "false"}, {"enable.partition.eof", "false"}};
  for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
    if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, sizeof errstr)) {
      fprintf(stderr, "%s\n", errstr);
      return 1;
    }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "%s\n", errstr);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, argv[2], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
  static rd_kafka_message_t *msgs[10000];
  long long got = 0, bytes = 0;
  double t0 = 0;
  while (got < want) {
    ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, 10000);
    for (ssize_t i = 0; i < n; i++) {
      if (!msgs[i]->err) {
        if (!got++) t0 = now();
        bytes += (long long)msgs[i]->len;
      }
      rd_kafka_message_destroy(msgs[i]);
    }
  }
  double secs = now() - t0;
  printf("{\"messages\": %lld, \"bytes\": %lld, \"seconds\": %.3f}\n", got, bytes, secs);
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}
