/*
 * retrieval_internal.h - the state of one historical retrieval, shared by its
 * parts: planning and checks (retrieval_check.c), the in-memory join and
 * the output source (retrieval.c), the spilled join (retrieval_spill.c).
 */
#ifndef FEAST_ENGINE_RETRIEVAL_INTERNAL_H
#define FEAST_ENGINE_RETRIEVAL_INTERNAL_H

#include "engine/pit.h"
#include "engine/spill.h"
#include "feast/retrieval.h"

#define RT_ROW_COL "\x01row" /* row-number column of spilled entity and result batches */

typedef struct rt_table {
  const feast_feature_table_spec *spec; /* borrowed: valid during the call only */
  const feast_value_type *entity_types;
  char *name;
  int n_keys;
  char *ent_keys[PIT_MAX_KEYS]; /* entity names = entity-file columns */
  char *src_keys[PIT_MAX_KEYS]; /* source columns after field_mapping */
  char *event_ts, *created_ts;  /* source columns; created may be NULL */
  int n_feat;
  int *feat_idx;     /* into spec->features, in request order */
  char **feat_cols;  /* source columns of the features */
  char **out_names;  /* table__feature */
  feast_value_type *feat_vt; /* value type of each requested feature */
  bool src_ns;       /* the source's event (and created) timestamps are int64 nanosecond timestamps */
  int n_proj;        /* distinct source columns to read */
  const char **proj;
  pit_cfg cfg;
  int64_t max_age_us;
  /* results, in memory: arrays[entity batch][feature] */
  bool spilled;
  feast_array ***mem;
  /* results, spilled */
  int parts;
  uint16_t *part_of_row;
  spill_file **results;
  feast_batch **cur;
  int64_t *cur_pos;
} rt_table;

typedef struct rt_out {
  feast_batch_source base; /* first: the object is the output source */
  feast_batch *schema;
  char *entity_ts;
  int n_tables;
  rt_table *tables;
  int n_entity_cols;
  /* entity batches: in memory, or spilled in order */
  pit_batches ent;
  spill_file *ent_file;
  int64_t n_ent_batches, n_ent_rows;
  int64_t ts_min, ts_max; /* microseconds, over valid entity timestamps */
  /* carried from one table's in-memory join to the next: the index (when the
   * entity side is the same) and the next table's source, opened early so
   * its row groups decode while this table's features are gathered */
  pit_index *index;
  feast_batch_source *next_src;
  /* output cursor */
  int64_t next_batch, row_base;
  /* settings */
  size_t memory_limit;
  int threads;
  const char *spill_dir;
  int parts;
  feast_retrieval_progress_fn progress;
  void *progress_ctx;
} rt_out;

/* Parse references, check the entity batch and every source schema; every
 * problem goes into err, one per line. */
feast_code rt_plan(rt_out *o, const feast_retrieval_request *req, const feast_batch *first, feast_error *err);
/* Check one source batch has the columns of table t with usable types. */
feast_code rt_check_source_batch(const rt_table *t, const feast_batch *b, feast_error *err);
/* True when b's event (and created) timestamps are nanosecond timestamps. */
bool rt_ns_timestamps(const rt_table *t, const feast_batch *b);
/* True when a column of type (col, child) can carry value type vt. */
bool rt_type_ok(const feast_array *col, feast_value_type vt);

/* The spilled join of table t. */
feast_code rt_join_spilled(rt_out *o, rt_table *t, const feast_retrieval_request *req, int64_t *source_rows,
                           int64_t *matched, feast_error *err);
/* Feature columns of the next entity batch (rows [row_base, row_base + n)) from the spilled results. */
feast_code rt_spilled_columns(rt_out *o, rt_table *t, int64_t n, feast_array **cols, feast_error *err);
/* Entity batch i: from memory (ownership moves to the caller) or the file. */
feast_code rt_entity_batch(rt_out *o, int64_t i, bool take, feast_batch **out, feast_error *err);
/* A new empty array typed for feature f of t. */
feast_array *rt_feature_array(const rt_table *t, int f);

#endif
