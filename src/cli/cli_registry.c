/*
 * cli_registry.c - pieces the registry commands share: applying spec files
 * (feast apply, entities apply, feature-tables apply) and the JSON/YAML
 * summaries of entities and feature tables.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_common.h"
#include "feast/specfile.h"

void cli_meta_ov(ov *parent, const feast_meta *m) {
  char buf[FEAST_TS_STRLEN];
  ov *meta = ov_add(parent, "meta", OV_OBJ);
  ov_add_str(meta, "createdTimestamp", cli_ts(m->created, buf));
  ov_add_str(meta, "lastUpdatedTimestamp", cli_ts(m->last_updated, buf));
  ov_add_int(meta, "revision", m->revision);
}

static void labels_ov(ov *parent, const feast_map *m) {
  ov *l = ov_add(parent, "labels", OV_OBJ);
  for (size_t i = 0; i < m->n; i++) ov_add_str(l, m->items[i].key, m->items[i].value);
}

void cli_entity_ov(ov *parent, const feast_entity *e) {
  ov *o = ov_add(parent, NULL, OV_OBJ);
  ov_add_str(o, "name", e->spec.name);
  ov_add_str(o, "valueType", feast_value_type_name(e->spec.value_type));
  ov_add_str(o, "description", e->spec.description ? e->spec.description : "");
  labels_ov(o, &e->spec.labels);
  cli_meta_ov(o, &e->meta);
}

void cli_table_ov(ov *parent, const feast_feature_table *t) {
  ov *o = ov_add(parent, NULL, OV_OBJ);
  ov_add_str(o, "name", t->spec.name);
  ov *ents = ov_add(o, "entities", OV_LIST);
  for (size_t i = 0; i < t->spec.n_entities; i++) ov_add_str(ents, NULL, t->spec.entities[i]);
  ov *feats = ov_add(o, "features", OV_LIST);
  for (size_t i = 0; i < t->spec.n_features; i++) {
    ov *f = ov_add(feats, NULL, OV_OBJ);
    ov_add_str(f, "name", t->spec.features[i].name);
    ov_add_str(f, "valueType", feast_value_type_name(t->spec.features[i].value_type));
  }
  labels_ov(o, &t->spec.labels);
  if (t->spec.has_max_age) {
    char buf[32];
    ov_add_str(o, "maxAge", feast_duration_format(t->spec.max_age, buf, sizeof buf));
  }
  cli_meta_ov(o, &t->meta);
}

static bool spec_name(const char *name) {
  size_t n = strlen(name);
  if (strcmp(name, "feature_store.yaml") == 0 || strcmp(name, "feature_store.yml") == 0 || name[0] == '.') return false;
  return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
         (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Parse one spec file, or every spec file directly inside a folder. */
static int parse_path(const char *path, feast_spec_docs *docs) {
  struct stat st;
  feast_error err;
  if (stat(path, &st) != 0) return cli_fail("%s: no such file or folder", path);
  if (!S_ISDIR(st.st_mode)) return feast_specfile_parse(path, docs, &err) ? cli_fail_err(&err) : 0;
  DIR *d = opendir(path);
  if (!d) return cli_fail("%s: cannot read the folder", path);
  char **names = NULL;
  size_t n = 0;
  int rc = 0;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    if (!spec_name(e->d_name)) continue;
    char **grown = realloc(names, (n + 1) * sizeof *names);
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    char *full = grown ? malloc(len) : NULL;
    if (grown) names = grown;
    if (!full) {
      rc = cli_fail("out of memory");
      break;
    }
    snprintf(full, len, "%s/%s", path, e->d_name);
    names[n++] = full;
  }
  closedir(d);
  if (names) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (!rc && feast_specfile_parse(names[i], docs, &err)) rc = cli_fail_err(&err);
    free(names[i]);
  }
  free(names);
  return rc;
}

static const char *kind_name(feast_doc_kind k) { return k == FEAST_DOC_ENTITY ? "entity" : "feature table"; }

int cli_apply_specs(const cli_opts *o, int only_kind) {
  feast_config cfg;
  int rc = cli_load_config(o, &cfg);
  if (rc) return rc;
  feast_spec_docs docs = {0};
  if (o->n_files == 0) {
    const char *dir = cfg.path ? cfg.dir : ".";
    rc = parse_path(dir, &docs);
    if (!rc && docs.n == 0) rc = cli_fail("no spec files (*.yaml, *.yml, *.json) found in %s", dir);
  }
  for (int i = 0; !rc && i < o->n_files; i++) rc = parse_path(o->files[i], &docs);
  for (size_t i = 0; !rc && only_kind && i < docs.n; i++)
    if ((int)docs.docs[i].kind != only_kind)
      rc = cli_fail("%s: document %d is a %s; this command applies only %s specs (use 'feast apply')",
                    docs.docs[i].file ? docs.docs[i].file : "?", docs.docs[i].index, kind_name(docs.docs[i].kind),
                    kind_name((feast_doc_kind)only_kind));
  feast_config_clear(&cfg);
  feast_registry *reg = NULL;
  if (!rc) rc = cli_open(o, &cfg, &reg);
  if (rc) {
    feast_spec_docs_clear(&docs);
    return rc;
  }
  feast_apply_result res;
  feast_error err;
  if (feast_registry_apply(reg, cli_project(o, &cfg), &docs, o->skip_source_check, &res, &err)) {
    rc = cli_fail_err(&err);
  } else {
    cli_table t;
    const char *h[] = {"KIND", "NAME", "RESULT", "REVISION"};
    cli_table_init(&t, 4, h);
    ov *list = ov_new(OV_LIST);
    for (size_t i = 0; i < res.n; i++) {
      char rev[24];
      snprintf(rev, sizeof rev, "%lld", (long long)res.items[i].revision);
      const char *row[] = {kind_name(res.items[i].kind), res.items[i].name, feast_apply_action_name(res.items[i].action),
                           rev};
      cli_table_add(&t, row);
      ov *item = ov_add(list, NULL, OV_OBJ);
      ov_add_str(item, "kind", res.items[i].kind == FEAST_DOC_ENTITY ? "entity" : "feature_table");
      ov_add_str(item, "name", res.items[i].name);
      ov_add_str(item, "result", feast_apply_action_name(res.items[i].action));
      ov_add_int(item, "revision", res.items[i].revision);
    }
    cli_print_listing(&t, list, o->format);
  }
  feast_apply_result_clear(&res);
  feast_spec_docs_clear(&docs);
  feast_registry_free(reg);
  feast_config_clear(&cfg);
  return rc;
}

int cli_with_registry(const cli_opts *o, cli_registry_fn fn) {
  feast_config cfg;
  feast_registry *reg;
  int rc = cli_open(o, &cfg, &reg);
  if (rc) return rc;
  rc = fn(reg, cli_project(o, &cfg), o);
  feast_registry_free(reg);
  feast_config_clear(&cfg);
  return rc;
}

void cli_print_listing(cli_table *t, ov *tree, cli_format fmt) {
  if (fmt == CLI_TABLE) cli_table_print(stdout, t);
  else ov_print(stdout, tree, fmt);
  cli_table_free(t);
  ov_free(tree);
}

int cli_describe(feast_registry *reg, const char *project, const cli_opts *o, bool table) {
  feast_spec_format fmt = o->format == CLI_JSON ? FEAST_SPEC_JSON : FEAST_SPEC_YAML;
  feast_error err;
  char *text = NULL;
  feast_code rc;
  if (table) {
    feast_feature_table t;
    if (!(rc = feast_registry_get_feature_table(reg, project, o->args[1], &t, &err))) {
      rc = feast_feature_table_emit(&t.spec, fmt, &text, &err);
      feast_feature_table_clear(&t);
    }
  } else {
    feast_entity e;
    if (!(rc = feast_registry_get_entity(reg, project, o->args[1], &e, &err))) {
      rc = feast_entity_emit(&e.spec, fmt, &text, &err);
      feast_entity_clear(&e);
    }
  }
  if (!rc) fputs(text, stdout);
  free(text);
  return rc ? cli_fail_err(&err) : 0;
}
