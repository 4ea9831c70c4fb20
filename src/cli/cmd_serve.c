/*
 * cmd_serve.c - `feast serve [--grpc-port P] [--http-port P] [--threads N]
 * [--host H] [--config FILE]`: the daemon of docs/serve.md. Settings come
 * from feature_store.yaml's serve: section; flags override it. Runs until
 * SIGTERM/SIGINT (graceful drain); SIGHUP reloads the configuration.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "feast/serve.h"

static const char USAGE[] =
    "usage: feast serve [--grpc-port P] [--http-port P] [--threads N] [--host H] [--config FILE]\n"
    "\n"
    "Serve the repository: Feast 0.9's gRPC services (Core, Serving, Job service) and the\n"
    "HTTP feature server (POST /get-online-features, POST /push, GET /health /ready /metrics).\n"
    "Settings: feature_store.yaml's serve: section (docs/serve.md); flags override it.\n"
    "  --grpc-port P   gRPC port (0 = off; default 6566)\n"
    "  --http-port P   HTTP port (0 = off; default 6567)\n"
    "  --core-port P   an extra gRPC port for a Feast 0.9 Core URL (6565)\n"
    "  --job-service-port P   an extra gRPC port for a Feast 0.9 Job service URL (6568)\n"
    "  --threads N     worker loops (default: one per CPU)\n"
    "  --host H        listen address (default 127.0.0.1)\n"
    "SIGTERM drains and exits; SIGHUP reloads tokens, limits, logs and certificates.\n";

static int parse_port(const char *s, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 0 || v > 65535) return -1;
  *out = (int)v;
  return 0;
}

int cmd_serve(int argc, char **argv) {
  static const struct option longopts[] = {{"grpc-port", required_argument, NULL, 'g'},
                                           {"http-port", required_argument, NULL, 'H'},
                                           {"core-port", required_argument, NULL, 'C'},
                                           {"job-service-port", required_argument, NULL, 'J'},
                                           {"threads", required_argument, NULL, 't'},
                                           {"host", required_argument, NULL, 'a'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int grpc_port = -1, http_port = -1, core_port = -1, jobs_port = -1, threads = -1;
  const char *host = NULL, *config = NULL, *project = NULL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
    case 'g': bad = parse_port(optarg, &grpc_port); break;
    case 'H': bad = parse_port(optarg, &http_port); break;
    case 'C': bad = parse_port(optarg, &core_port); break;
    case 'J': bad = parse_port(optarg, &jobs_port); break;
    case 't':
      threads = atoi(optarg);
      bad = threads < 1 || threads > 256;
      break;
    case 'a': host = optarg; break;
    case 'c': config = optarg; break;
    case 'p': project = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: bad = 1;
    }
    if (bad) {
      fprintf(stderr, "feast: bad or incomplete option '%s'\n%s", argv[optind - 1], USAGE);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "feast: unexpected argument '%s'\n%s", argv[optind], USAGE);
    return 2;
  }
  feast_serve_options so = {config ? config : cli_global_config, project, grpc_port, http_port, core_port,
                            jobs_port, threads, host};
  feast_error err;
  feast_error_clear(&err);
  int rc = feast_serve(&so, &err);
  if (rc && err.code) fprintf(stderr, "feast: %s\n", err.message);
  return rc;
}
