/*
 * serve_config_test.c - the serve: section of feature_store.yaml
 * (src/serve/serve_config.c): defaults, every key, tokens and their scopes,
 * the tokens file, errors that name the key and line without the secret,
 * the cross-key checks, and bearer-token authorization.
 */
#include <stdio.h>
#include <unistd.h>

#include "feast/config.h"
#include "serve/serve_internal.h"
#include "test.h"

static feast_code parse(const char *text, feast_config *c, feast_error *err) {
  return feast_config_parse_text(text, strlen(text), "feature_store.yaml", "/repo", c, err);
}

static void defaults(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse("project: p\n", &c, &err), &err);
  CHECK(c.serve == NULL);
  feast_config_clear(&c);
  serve_config *s;
  CHECK_OK(serve_config_parse_text("", 0, "/repo", &s, &err), &err);
  CHECK_INT(s->grpc_port, 6566);
  CHECK_INT(s->http_port, 6567);
  CHECK_STR(s->host, "127.0.0.1");
  CHECK(s->access_log);
  CHECK_STR(s->log_level, "info");
  CHECK_INT(s->registry_refresh_ms, 500);
  CHECK_INT(s->limits.max_request_bytes, 1 << 20);
  CHECK_INT(s->limits.max_connections, 1024);
  CHECK_INT(s->n_tokens, 0);
  CHECK_OK(serve_config_check(s, &err), &err);
  serve_config_free(s);
}

static void every_key(void) {
  const char *text =
      "project: p\n"
      "serve:\n"
      "  host: 10.0.0.1\n"
      "  grpc_port: 7000\n"
      "  http_port: 7001\n"
      "  core_port: 6565\n"
      "  job_service_port: 6568\n"
      "  threads: 3\n"
      "  tls: {cert: certs/s.pem, key: /abs/s.key}\n"
      "  auth:\n"
      "    allow_unauthenticated: false\n"
      "    tokens:\n"
      "      - {token: \"aaaaaaaa1\", name: ci, projects: [p, q], access: read}\n"
      "      - {token: \"bbbbbbbb2\", access: write}\n"
      "      - {token: \"cccccccc3\", projects: \"*\", access: read_write}\n"
      "    tokens_file: tokens.yaml\n"
      "  access_log: false\n"
      "  log_level: warn\n"
      "  registry_refresh_ms: 250\n"
      "  limits:\n"
      "    max_request_bytes: 2048\n"
      "    max_entity_rows: 7\n"
      "    max_features: 8\n"
      "    read_timeout_ms: 900\n"
      "    idle_timeout_ms: 1900\n"
      "    max_connections: 9\n"
      "    max_streams: 10\n"
      "    max_pending_bytes: 8192\n";
  feast_config c;
  feast_error err;
  CHECK_OK(parse(text, &c, &err), &err);
  const serve_config *s = c.serve;
  CHECK(s != NULL);
  if (!s) return;
  CHECK_STR(s->host, "10.0.0.1");
  CHECK_INT(s->grpc_port, 7000);
  CHECK_INT(s->http_port, 7001);
  CHECK_INT(s->core_port, 6565);
  CHECK_INT(s->job_service_port, 6568);
  CHECK_INT(s->threads, 3);
  CHECK_STR(s->tls_cert, "/repo/certs/s.pem");
  CHECK_STR(s->tls_key, "/abs/s.key");
  CHECK_STR(s->tokens_file, "/repo/tokens.yaml");
  CHECK_INT(s->n_tokens, 3);
  CHECK_STR(s->tokens[0].name, "ci");
  CHECK_STR(s->tokens[0].projects[0], "p");
  CHECK_STR(s->tokens[0].projects[1], "q");
  CHECK(s->tokens[0].projects[2] == NULL);
  CHECK_INT(s->tokens[0].access, SERVE_READ);
  CHECK_STR(s->tokens[1].name, "token 2");
  CHECK(s->tokens[1].projects == NULL);
  CHECK_INT(s->tokens[1].access, SERVE_READ | SERVE_WRITE);
  CHECK(s->tokens[2].projects == NULL);
  CHECK(!s->access_log);
  CHECK_STR(s->log_level, "warn");
  CHECK_INT(s->registry_refresh_ms, 250);
  CHECK_INT(s->limits.max_request_bytes, 2048);
  CHECK_INT(s->limits.max_entity_rows, 7);
  CHECK_INT(s->limits.max_features, 8);
  CHECK_INT(s->limits.read_timeout_ms, 900);
  CHECK_INT(s->limits.idle_timeout_ms, 1900);
  CHECK_INT(s->limits.max_connections, 9);
  CHECK_INT(s->limits.max_streams, 10);
  CHECK_INT(s->limits.max_pending_bytes, 8192);
  CHECK_OK(serve_config_check(s, &err), &err);
  serve_config *copy = serve_config_clone(s, &err);
  CHECK(copy != NULL);
  if (copy) {
    CHECK_STR(copy->tokens[0].projects[1], "q");
    CHECK_STR(copy->tokens_file, "/repo/tokens.yaml");
    CHECK(copy->tokens[0].token != s->tokens[0].token);
    serve_config_free(copy);
  }
  feast_config_clear(&c);
}

static void errors_name_the_key_and_line(void) {
  static const struct {
    const char *text, *needle;
  } cases[] = {
      {"serve:\n  bogus: 1\n", "feature_store.yaml:2: unknown key 'bogus' in serve"},
      {"serve:\n  limits:\n    max_entity_rowz: 3\n", ":3: unknown key 'max_entity_rowz' in serve.limits"},
      {"serve:\n  http_port: 70000\n", "serve.http_port must be a whole number from 0 to 65535"},
      {"serve:\n  http_port: 12x\n", "serve.http_port"},
      {"serve:\n  threads: -1\n", "serve.threads"},
      {"serve:\n  log_level: loud\n", "serve.log_level must be debug, info, warn or error"},
      {"serve:\n  access_log: maybe\n", "serve.access_log must be true or false"},
      {"serve:\n  tls: {cert: a.pem}\n", "serve.tls needs both cert and key"},
      {"serve:\n  auth:\n    tokens:\n      - {token: short}\n", "token 1: the token must be a value of at least 8"},
      {"serve:\n  auth:\n    tokens:\n      - {token: \"has space 123\"}\n", "token 1: the token must not contain"},
      {"serve:\n  auth:\n    tokens:\n      - {token: \"secretsecret\", access: admin}\n", "token 1: access must be read or write"},
      {"serve:\n  auth:\n    tokens:\n      - {token: \"secretsecret\", projects: []}\n", "token 1: projects must be"},
      {"serve:\n  auth:\n    tokens:\n      - {token: \"secretsecret\"}\n      - {token: \"secretsecret\"}\n",
       "token 2 repeats the secret of token 1"},
      {"serve:\n  auth:\n    tokens:\n      - {name: x}\n", "token 1 has no 'token'"},
      {"serve:\n  auth:\n    tokens:\n      - {token: \"secretsecret\", colour: red}\n", "unknown key 'colour' in token 1"},
      {"serve:\n  auth: {magic: 1}\n", "unknown key 'magic' in serve.auth"},
      {"serve:\n  http_port: 1\n  http_port: 2\n", "key 'http_port' given twice in serve"},
      {"serve: 3\n", "'serve' must be a mapping"},
      {"serve:\n  limits: {max_request_bytes: 1}\n", "serve.limits.max_request_bytes must be a whole number from 64"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    feast_config c;
    feast_error err;
    feast_code rc = parse(cases[i].text, &c, &err);
    CHECK_INT(rc, FEAST_E_INVALID);
    if (rc == FEAST_OK) {
      feast_config_clear(&c);
      continue;
    }
    if (!strstr(err.message, cases[i].needle)) {
      fprintf(stderr, "  case %zu: \"%s\" not in \"%s\"\n", i, cases[i].needle, err.message);
      test_failures_in_case++;
    }
    CHECK(!strstr(err.message, "secretsecret"));
  }
}

static void cross_key_checks(void) {
  serve_config *s;
  feast_error err;
  const char *t = "serve:\n  host: 0.0.0.0\n";
  CHECK_OK(serve_config_parse_text(t, strlen(t), "/repo", &s, &err), &err);
  CHECK_INT(serve_config_check(s, &err), FEAST_E_INVALID);
  CHECK(strstr(err.message, "allow_unauthenticated") != NULL);
  s->allow_unauthenticated = true;
  CHECK_OK(serve_config_check(s, &err), &err);
  s->http_port = s->grpc_port;
  CHECK_INT(serve_config_check(s, &err), FEAST_E_INVALID);
  CHECK(strstr(err.message, "grpc_port and http_port are both") != NULL);
  s->http_port = s->grpc_port = 0;
  CHECK_INT(serve_config_check(s, &err), FEAST_E_INVALID);
  serve_config_free(s);
  CHECK(serve_host_is_loopback("127.0.0.1"));
  CHECK(serve_host_is_loopback("127.9.8.7"));
  CHECK(serve_host_is_loopback("::1"));
  CHECK(serve_host_is_loopback("localhost"));
  CHECK(!serve_host_is_loopback("0.0.0.0"));
  CHECK(!serve_host_is_loopback("::"));
  CHECK(!serve_host_is_loopback("10.1.2.3"));
}

static void tokens_file(void) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  char path[600];
  snprintf(path, sizeof path, "%s/tokens.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs("tokens:\n  - {token: \"filetoken1\", name: f, projects: [p], access: write}\n", f);
  fclose(f);
  char text[512];
  snprintf(text, sizeof text, "serve:\n  auth:\n    tokens: [{token: \"inline-token\"}]\n    tokens_file: tokens.yaml\n");
  serve_config *s;
  feast_error err;
  CHECK_OK(serve_config_parse_text(text, strlen(text), dir, &s, &err), &err);
  CHECK_INT(s->n_tokens, 1); /* the file is read by the daemon, not the parser */
  CHECK_OK(serve_config_load_tokens_file(s, &err), &err);
  CHECK_INT(s->n_tokens, 2);
  CHECK_STR(s->tokens[1].name, "f");
  CHECK_INT(s->tokens[1].access, SERVE_READ | SERVE_WRITE);
  serve_config_free(s);
  /* a broken file names itself and its line; a missing one fails too */
  f = fopen(path, "w");
  fputs("- {token: \"filetoken1\"}\n- {tokne: x}\n", f);
  fclose(f);
  CHECK_OK(serve_config_parse_text(text, strlen(text), dir, &s, &err), &err);
  CHECK_INT(serve_config_load_tokens_file(s, &err), FEAST_E_INVALID);
  CHECK(strstr(err.message, "tokens.yaml:2") != NULL);
  serve_config_free(s);
  unlink(path);
  CHECK_OK(serve_config_parse_text(text, strlen(text), dir, &s, &err), &err);
  CHECK(serve_config_load_tokens_file(s, &err) != FEAST_OK);
  serve_config_free(s);
}

static void authorization(void) {
  const char *t = "serve:\n  auth:\n    tokens:\n"
                  "      - {token: \"reader-p-1\", projects: [p], access: read}\n"
                  "      - {token: \"writer-all\", access: write}\n";
  serve_config *s;
  feast_error err;
  CHECK_OK(serve_config_parse_text(t, strlen(t), "/repo", &s, &err), &err);
  serve_ctx ctx = {0};
  ctx.cfg = s;
  CHECK_INT(serve_authorize(&ctx, NULL, "p", SERVE_READ), SERVE_AUTH_UNAUTHENTICATED);
  CHECK_INT(serve_authorize(&ctx, "", "p", SERVE_READ), SERVE_AUTH_UNAUTHENTICATED);
  CHECK_INT(serve_authorize(&ctx, "reader-p-2", "p", SERVE_READ), SERVE_AUTH_UNAUTHENTICATED);
  CHECK_INT(serve_authorize(&ctx, "reader-p-", "p", SERVE_READ), SERVE_AUTH_UNAUTHENTICATED);
  CHECK_INT(serve_authorize(&ctx, "reader-p-11", "p", SERVE_READ), SERVE_AUTH_UNAUTHENTICATED);
  CHECK_INT(serve_authorize(&ctx, "reader-p-1", "p", SERVE_READ), SERVE_AUTH_OK);
  CHECK_INT(serve_authorize(&ctx, "reader-p-1", NULL, SERVE_READ), SERVE_AUTH_OK);
  CHECK_INT(serve_authorize(&ctx, "reader-p-1", "q", SERVE_READ), SERVE_AUTH_DENIED);
  CHECK_INT(serve_authorize(&ctx, "reader-p-1", "p", SERVE_WRITE), SERVE_AUTH_DENIED);
  CHECK_INT(serve_authorize(&ctx, "writer-all", "q", SERVE_WRITE), SERVE_AUTH_OK);
  CHECK_INT(serve_authorize(&ctx, "writer-all", "q", SERVE_READ), SERVE_AUTH_OK);
  serve_config_free(s);
  /* no tokens: everything is allowed (start-up keeps that to loopback) */
  CHECK_OK(serve_config_parse_text("", 0, "/repo", &s, &err), &err);
  ctx.cfg = s;
  CHECK_INT(serve_authorize(&ctx, NULL, "p", SERVE_WRITE), SERVE_AUTH_OK);
  serve_config_free(s);
}

TEST_MAIN(T(defaults), T(every_key), T(errors_name_the_key_and_line), T(cross_key_checks), T(tokens_file),
          T(authorization))
