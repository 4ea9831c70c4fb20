/*
 * cmd_stream_ingest.c - `feast stream-ingest TABLE [TABLE...]` (and Feast
 * 0.9's `feast jobs start-stream-to-online -t TABLE`): consume each table's
 * stream source into the online store, one thread per table, through the
 * public feast_store_stream_ingest. Long-running by default: the first
 * SIGINT/SIGTERM finishes the batch in hand, commits and prints the
 * summary; a second one exits at once (nothing is committed that is not
 * written, so that loses nothing either). A status line on a terminal.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/cli_paths.h"
#include "cli/commands.h"
#include "feast/store.h"

static const char USAGE[] =
    "usage: feast stream-ingest TABLE [TABLE...] [options]\n"
    "       feast jobs start-stream-to-online -t TABLE [-t TABLE...] [options]\n"
    "\n"
    "Consume each table's stream source (Kafka or Kinesis) into the online store of\n"
    "feature_store.yaml, at least once: Kafka offsets are committed, and Kinesis checkpoints\n"
    "stored, only after the rows are written (with LMDB a checkpoint goes in the rows'\n"
    "transaction: exactly once), and a replay changes nothing (a stored row is replaced\n"
    "only by a newer (event, created) time).\n"
    "Runs until SIGINT/SIGTERM (the batch in hand is finished and committed; a second\n"
    "signal exits at once) or, with --until-caught-up, until every partition reaches the\n"
    "end it had at start (a Kinesis shard: an answer at its tip, or records that arrived\n"
    "after the start). One thread per table (and one per Kinesis shard); a table's failure\n"
    "never stops another. The lag of a Kinesis shard is in milliseconds behind its tip.\n"
    "\n"
    "  --until-caught-up         stop once every partition reaches its end at start\n"
    "  --from WHERE              where a consumer group with no committed offset (or a stream\n"
    "                            with no checkpoint) starts:\n"
    "                            earliest, latest (the default, as in Feast 0.9) or a timestamp\n"
    "  --max-batch-rows N        write out at least every N messages (default 10000)\n"
    "  --max-batch-delay DUR     and at least this often while messages arrive (default 1s)\n"
    "  --group-id ID             consumer group, or the name Kinesis checkpoints are kept under\n"
    "                            (default feast-<project>-<table>; with several tables, ID-<table>)\n"
    "  --dead-letter PATH        dead letters to Parquet files under PATH/<table>/\n"
    "                            (default: streams.dead_letter of feature_store.yaml)\n"
    "  -p, --project NAME        project (default: from feature_store.yaml)\n"
    "  -o, --output FORMAT       table (default) or json for the closing summary\n"
    "      --config FILE         feature_store.yaml to use\n"
    "\n"
    "Exit status: 0 when every table ended well; 1 when the one table failed; with several\n"
    "tables, 64 + a bit per failed table (bit k for the k-th table, 0-based, bit 5 for the\n"
    "sixth and every later one); 2 on a usage error.\n";

#define MAX_TABLES 64
#define MAX_LAG 16 /* partitions shown on the status line */
#define MAX_CAUSES 32

/* Set by the handler, read by the table threads: atomics (lock-free, so
 * safe in a handler), not a plain volatile, which is a data race. */
static volatile sig_atomic_t g_signals;

static void on_signal(int sig) {
  if (__atomic_fetch_add(&g_signals, 1, __ATOMIC_SEQ_CST)) {
    /* the second signal: leave now; offsets are only ever committed for
     * rows already written, so nothing is lost */
    static const char msg[] = "\nfeast: second signal: exiting without finishing the batch\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(128 + sig);
  }
}

typedef struct table_run {
  feast_store *store;
  const char *table;
  feast_stream_run_options opts;
  char group[512];
  feast_stream_counters live;
  feast_code rc;
  feast_error err;
  bool done;
  double started, ended;
  pthread_mutex_t mu; /* guards lag and causes */
  feast_stream_lag lag[MAX_LAG];
  size_t n_lag, n_lag_total;
  struct {
    char cause[48];
    int64_t n;
  } causes[MAX_CAUSES];
  size_t n_causes;
} table_run;

static bool should_stop(void *ctx) {
  (void)ctx;
  return __atomic_load_n(&g_signals, __ATOMIC_RELAXED) > 0;
}

static void progress(void *ctx, const char *table, const feast_stream_counters *c, const feast_stream_lag *lag,
                     size_t n_lag) {
  (void)table;
  (void)c;
  table_run *t = ctx;
  pthread_mutex_lock(&t->mu);
  t->n_lag_total = n_lag;
  t->n_lag = n_lag < MAX_LAG ? n_lag : MAX_LAG;
  memcpy(t->lag, lag, t->n_lag * sizeof *lag);
  pthread_mutex_unlock(&t->mu);
}

static void notice(void *ctx, const char *table, const char *message) {
  (void)ctx;
  fprintf(stderr, "\nfeast: %s: %s\n", table, message);
}

static void dead_letters(void *ctx, const char *table, const char *cause, int64_t n) {
  (void)table;
  table_run *t = ctx;
  pthread_mutex_lock(&t->mu);
  if (t->n_causes < MAX_CAUSES) {
    snprintf(t->causes[t->n_causes].cause, sizeof t->causes[t->n_causes].cause, "%s", cause);
    t->causes[t->n_causes++].n = n;
  }
  pthread_mutex_unlock(&t->mu);
}

static void *run_table(void *arg) {
  table_run *t = arg;
  t->started = cli_now();
  t->rc = feast_store_stream_ingest(t->store, t->table, &t->opts, &t->live, &t->err);
  t->ended = cli_now();
  __atomic_store_n(&t->done, true, __ATOMIC_RELEASE);
  return NULL;
}

/* One line for every table, redrawn in place. */
static void status_line(table_run *runs, int n, int64_t *last_msgs, double *last_t) {
  double now = cli_now();
  char line[1024];
  size_t len = 0;
  for (int i = 0; i < n && len < sizeof line - 1; i++) {
    feast_stream_counters c;
    feast_stream_counters_load(&runs[i].live, &c);
    double dt = now - last_t[i];
    double rate = dt > 0 ? (double)(c.messages - last_msgs[i]) / dt : 0;
    last_msgs[i] = c.messages;
    last_t[i] = now;
    len += (size_t)snprintf(line + len, sizeof line - len, "%s%s: %.0f msg/s, %lld written, %lld older, %lld dead, lag",
                            i ? " | " : "", runs[i].table, rate, (long long)c.written, (long long)c.skipped_older,
                            (long long)(c.rejected + c.undecodable));
    pthread_mutex_lock(&runs[i].mu);
    for (size_t p = 0; p < runs[i].n_lag && len < sizeof line - 1; p++)
      len += (size_t)snprintf(line + len, sizeof line - len, " %s:%lld", runs[i].lag[p].partition,
                              (long long)runs[i].lag[p].lag);
    if (runs[i].n_lag < runs[i].n_lag_total && len < sizeof line - 1)
      len += (size_t)snprintf(line + len, sizeof line - len, " ...");
    pthread_mutex_unlock(&runs[i].mu);
  }
  if (len >= sizeof line) len = sizeof line - 1;
  fprintf(stderr, "\r%.*s\033[K", (int)len, line);
  fflush(stderr);
}

static void summary_ov(ov *list, table_run *t) {
  feast_stream_counters c;
  feast_stream_counters_load(&t->live, &c);
  ov *o = ov_add(list, NULL, OV_OBJ);
  ov_add_str(o, "table", t->table);
  ov_add_str(o, "status", t->rc ? "failed" : "ok");
  ov_add_str(o, "error", t->rc ? t->err.message : NULL);
  ov_add_int(o, "messages", c.messages);
  ov_add_int(o, "rows", c.rows);
  ov_add_int(o, "written", c.written);
  ov_add_int(o, "skipped_older", c.skipped_older);
  ov_add_int(o, "rejected", c.rejected);
  ov_add_int(o, "undecodable", c.undecodable);
  ov *dl = ov_add(o, "dead_letters", OV_OBJ);
  for (size_t i = 0; i < t->n_causes; i++) ov_add_int(dl, t->causes[i].cause, t->causes[i].n);
  ov_add_int(o, "flushes", c.flushes);
  ov_add_int(o, "commits", c.commits);
  ov_add_int(o, "retries", c.retries);
  ov_add_int(o, "elapsed_ms", (long long)((t->ended - t->started) * 1000));
  ov *lag = ov_add(o, "lag", OV_OBJ);
  for (size_t p = 0; p < t->n_lag; p++) ov_add_int(lag, t->lag[p].partition, t->lag[p].lag);
}

static void summary_text(table_run *t) {
  feast_stream_counters c;
  feast_stream_counters_load(&t->live, &c);
  double secs = t->ended - t->started;
  printf("%s: %s: %lld messages in %.1f s (%.0f/s): %lld rows, %lld keys written, %lld skipped as older, "
         "%lld rejected, %lld undecodable; %lld commits, %lld retries\n",
         t->table, t->rc ? "failed" : "done", (long long)c.messages, secs, secs > 0 ? (double)c.messages / secs : 0,
         (long long)c.rows, (long long)c.written, (long long)c.skipped_older, (long long)c.rejected,
         (long long)c.undecodable, (long long)c.commits, (long long)c.retries);
  for (size_t i = 0; i < t->n_causes; i++)
    printf("  dead letters (%s): %lld\n", t->causes[i].cause, (long long)t->causes[i].n);
}

int cmd_stream_ingest(int argc, char **argv) {
  /* `feast jobs start-stream-to-online -t T` arrives as "jobs" (cmd_ingest
   * dispatches it here): its arguments follow the subcommand. */
  bool jobs = strcmp(argv[0], "jobs") == 0;
  if (jobs) {
    argc--;
    argv++;
  }
  static const struct option longopts[] = {{"until-caught-up", no_argument, NULL, 'u'},
                                           {"from", required_argument, NULL, 'f'},
                                           {"max-batch-rows", required_argument, NULL, 'r'},
                                           {"max-batch-delay", required_argument, NULL, 'D'},
                                           {"group-id", required_argument, NULL, 'g'},
                                           {"dead-letter", required_argument, NULL, 'd'},
                                           {"table", required_argument, NULL, 't'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"output", required_argument, NULL, 'o'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *tables[MAX_TABLES];
  int n_tables = 0;
  const char *project = NULL, *config = NULL, *from = NULL, *group = NULL, *dead = NULL;
  const char *output = cli_global_output ? cli_global_output : "table";
  bool until = false;
  int64_t max_rows = 0;
  int max_delay_ms = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "t:p:o:h", longopts, NULL)) != -1) {
    char *end = NULL;
    switch (c) {
    case 'u': until = true; break;
    case 'f': {
      feast_ts ts;
      feast_error e;
      if (strcmp(optarg, "earliest") && strcmp(optarg, "latest") && feast_ts_parse(optarg, &ts, &e))
        return fprintf(stderr, "feast: --from takes earliest, latest or a timestamp, not '%s'\n", optarg), 2;
      from = optarg;
      break;
    }
    case 'r':
      max_rows = strtoll(optarg, &end, 10);
      if (*end || max_rows <= 0) return fprintf(stderr, "feast: --max-batch-rows takes a positive number\n"), 2;
      break;
    case 'D': {
      feast_duration d;
      feast_error e;
      if (feast_duration_parse(optarg, &d, &e) || d <= 0)
        return fprintf(stderr, "feast: --max-batch-delay takes a duration such as 500ms or 2s\n"), 2;
      max_delay_ms = d / 1000 > 0 ? (int)(d / 1000) : 1;
      break;
    }
    case 'g': group = optarg; break;
    case 'd': dead = optarg; break;
    case 't':
      if (n_tables == MAX_TABLES) return fprintf(stderr, "feast: at most %d tables\n", MAX_TABLES), 2;
      tables[n_tables++] = optarg;
      break;
    case 'p': project = optarg; break;
    case 'o': output = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE); return 2;
    }
  }
  for (; optind < argc; optind++) {
    if (jobs) return fprintf(stderr, "feast: name tables with -t\n%s", USAGE), 2;
    if (n_tables == MAX_TABLES) return fprintf(stderr, "feast: at most %d tables\n", MAX_TABLES), 2;
    tables[n_tables++] = argv[optind];
  }
  if (!n_tables) return fprintf(stderr, "feast: which feature tables? (TABLE...)\n%s", USAGE), 2;
  bool json = strcmp(output, "json") == 0;
  if (!json && strcmp(output, "table") != 0) return fprintf(stderr, "feast: -o takes table or json\n"), 2;
  for (int i = 0; i < n_tables; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(tables[i], tables[j])) return fprintf(stderr, "feast: table %s named twice\n", tables[i]), 2;

  feast_store *store;
  int rc = cli_store_open(config, project, &store);
  if (rc) return rc;
  const feast_backend_config *cdl = &feast_store_get_config(store)->streams.dead_letter;
  const char *dl_path = dead ? dead
                             : cdl->type && strcmp(cdl->type, "parquet") == 0 ? feast_map_get(&cdl->settings, "path")
                                                                              : NULL;
  if (dl_path && cli_check_output("dead letter", dl_path, NULL, 0, store)) {
    feast_store_free(store);
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  table_run *runs = calloc((size_t)n_tables, sizeof *runs);
  pthread_t *threads = calloc((size_t)n_tables, sizeof *threads);
  if (!runs || !threads) {
    fprintf(stderr, "feast: out of memory\n");
    exit(1);
  }
  for (int i = 0; i < n_tables; i++) {
    table_run *t = &runs[i];
    t->store = store;
    t->table = tables[i];
    pthread_mutex_init(&t->mu, NULL);
    feast_error_clear(&t->err);
    t->opts.start_from = from;
    if (group && n_tables == 1) snprintf(t->group, sizeof t->group, "%s", group);
    else if (group) snprintf(t->group, sizeof t->group, "%s-%s", group, tables[i]);
    t->opts.group_id = group ? t->group : NULL;
    t->opts.max_batch_rows = max_rows;
    t->opts.max_batch_delay_ms = max_delay_ms;
    t->opts.dead_letter_path = dead;
    t->opts.until_caught_up = until;
    t->opts.should_stop = should_stop;
    t->opts.progress = progress;
    t->opts.progress_ctx = t;
    t->opts.notice = notice;
    t->opts.dead_letters = dead_letters;
    if (pthread_create(&threads[i], NULL, run_table, t)) {
      fprintf(stderr, "feast: cannot start a thread for %s\n", tables[i]);
      exit(1);
    }
  }
  bool tty = isatty(2);
  int64_t last_msgs[MAX_TABLES] = {0};
  double last_t[MAX_TABLES];
  for (int i = 0; i < n_tables; i++) last_t[i] = cli_now();
  double last_draw = 0;
  for (;;) {
    int done = 0;
    for (int i = 0; i < n_tables; i++) done += __atomic_load_n(&runs[i].done, __ATOMIC_ACQUIRE);
    if (done == n_tables) break;
    if (tty && cli_now() - last_draw >= 1.0) {
      status_line(runs, n_tables, last_msgs, last_t);
      last_draw = cli_now();
    }
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (tty) fprintf(stderr, "\r\033[K");
  int failed_mask = 0, failed = 0;
  for (int i = 0; i < n_tables; i++) {
    pthread_join(threads[i], NULL);
    if (runs[i].rc) {
      failed++;
      failed_mask |= 1 << (i < 5 ? i : 5);
      fprintf(stderr, "feast: %s: %s\n", runs[i].table, runs[i].err.message);
    }
  }
  if (json) {
    ov *root = ov_new(OV_OBJ);
    ov *list = ov_add(root, "tables", OV_LIST);
    for (int i = 0; i < n_tables; i++) summary_ov(list, &runs[i]);
    ov_add_bool(root, "interrupted", __atomic_load_n(&g_signals, __ATOMIC_RELAXED) > 0);
    ov_print(stdout, root, CLI_JSON);
    ov_free(root);
  } else {
    for (int i = 0; i < n_tables; i++) summary_text(&runs[i]);
  }
  fflush(stdout);
  for (int i = 0; i < n_tables; i++) pthread_mutex_destroy(&runs[i].mu);
  free(runs);
  free(threads);
  feast_store_free(store);
  if (!failed) return 0;
  return n_tables == 1 ? 1 : 64 + failed_mask;
}
