/*
 * sdk.h - small conveniences over store.h for language bindings (the ctypes
 * Python SDK in sdk/python): registry objects and apply results as JSON, so
 * a binding never mirrors the spec structs, and historical retrieval from
 * either an Arrow stream or a file path with a summary.
 *
 * Every char ** result is NUL-terminated JSON; the caller owns it: release
 * it with feast_string_free.
 */
#ifndef FEAST_SDK_H
#define FEAST_SDK_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/arrow.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/specfile.h"
#include "feast/store.h"

FEAST_API void feast_string_free(char *s); /* accepts NULL */

/* Parse every spec file in `paths` and the spec text `text` (may be NULL;
 * `text_name` names it in messages), then apply all documents in one
 * transaction into the store's project. *out:
 *   [{"kind":"entity"|"feature_table","name":"...","action":"created"|
 *     "updated"|"unchanged","revision":N}, ...]  (document order) */
FEAST_API feast_code feast_store_apply_json(feast_store *s, const char *const *paths, size_t n_paths, const char *text,
                                            const char *text_name, bool skip_source_check, char **out,
                                            feast_error *err);

/* One registry object: {"spec":{...spec-file JSON...},"meta":{"createdTimestamp":
 * "...Z","lastUpdatedTimestamp":"...Z","revision":N}}. FEAST_E_NOT_FOUND
 * when absent. */
FEAST_API feast_code feast_store_describe_json(feast_store *s, feast_doc_kind kind, const char *name, char **out,
                                               feast_error *err);

/* The objects of one kind whose labels contain every keys[i]=values[i]
 * (n_labels 0: all), in name order, as a JSON array of the objects above. */
FEAST_API feast_code feast_store_list_json(feast_store *s, feast_doc_kind kind, const char *const *keys,
                                           const char *const *values, size_t n_labels, char **out, feast_error *err);

/* Historical retrieval with the entity rows given as an Arrow stream
 * (consumed and released, also on failure) or, when `entities` is NULL, as
 * a file `entities_path` (Parquet file, folder or glob, or .csv read with
 * the referenced entities' declared types). The caller owns *out: release it
 * with its release callback.
 * `opts` and `summary` may be NULL (the join runs during the call, so the
 * summary is complete on return; the stream hands out its batches). */
FEAST_API feast_code feast_store_historical_stream(feast_store *s, const char *const *refs, size_t n_refs,
                                                   struct ArrowArrayStream *entities, const char *entities_path,
                                                   const feast_historical_options *opts, struct ArrowArrayStream *out,
                                                   feast_retrieval_summary *summary, feast_error *err);

/* Projects: [{"name":"default","archived":false},...] in name order
 * ("default" always; archived ones only when include_archived). */
FEAST_API feast_code feast_store_projects_json(feast_store *s, bool include_archived, char **out, feast_error *err);

/* Append rows to `table`'s file batch source (in the store's project) as
 * new Parquet files, as Feast 0.9's client.ingest wrote them: one file per
 * batch in the source's folder, or per event date in
 * <folder>/<date_partition_column>=YYYY-MM-DD/ when the source has one.
 * The event timestamp column and every field_mapping column must be in the
 * rows; when the source already has files, the rows must have exactly their
 * columns and types (timestamps in another unit or zone are converted; the
 * partition column, if given, is dropped: its value is the folder). Every
 * batch is read and checked before anything is written, so a failed push
 * leaves the source as it was; every mismatch is reported at once
 * (FEAST_E_SCHEMA); BigQuery and remote file sources are
 * FEAST_E_UNSUPPORTED. `rows` stays the caller's. `on_file` (may be NULL)
 * is told each file written and its row count. */
typedef void (*feast_push_file_fn)(void *ctx, const char *path, int64_t rows);
FEAST_API feast_code feast_store_push_offline(feast_store *s, const char *table, feast_batch_source *rows,
                                              feast_push_file_fn on_file, void *ctx, feast_error *err);
/* The same for bindings: takes ownership of the stream (also on failure);
 * *out: {"files":["/path/part-....parquet",...],"rows":N}. */
FEAST_API feast_code feast_store_push_offline_arrow(feast_store *s, const char *table, struct ArrowArrayStream *rows,
                                                    char **out, feast_error *err);

/* An online result (feast_store_get_online_features) as three Arrow struct
 * arrays of its rows, each with one child per name i whose types[i] is not
 * FEAST_VT_INVALID (in result order): the values typed by types[i] (the
 * value types of the entities and features; null where there is no value),
 * the statuses (uint8: feast_field_status), and the stored event times
 * (timestamp[us, UTC]; null where nothing was found). A stored value of
 * another type than types[i] fails with FEAST_E_CORRUPT naming the column
 * and row. On success the caller owns the six structs: release each with its
 * release callback; on failure none is left to release. */
FEAST_API feast_code feast_online_result_export_arrow(const feast_online_result *r, const feast_value_type *types,
                                                      struct ArrowSchema *value_schema, struct ArrowArray *values,
                                                      struct ArrowSchema *status_schema, struct ArrowArray *statuses,
                                                      struct ArrowSchema *ts_schema, struct ArrowArray *event_ts,
                                                      feast_error *err);

/* feast_store_get_online_features, then the result's feature columns
 * ("table__feature", typed by the tables' specs in the current registry
 * snapshot; a type changed in between fails with FEAST_E_CORRUPT) exported
 * as above; entity columns are left out (a binding echoes what it sent). */
FEAST_API feast_code feast_store_online_arrow(feast_store *s, const char *const *refs, size_t n_refs,
                                              const feast_batch *entity_rows, feast_ts at,
                                              struct ArrowSchema *value_schema, struct ArrowArray *values,
                                              struct ArrowSchema *status_schema, struct ArrowArray *statuses,
                                              struct ArrowSchema *ts_schema, struct ArrowArray *event_ts,
                                              feast_error *err);

/* sizeof of a public struct that bindings mirror field by field
 * ("feast_error", "feast_ingest_options", "feast_ingest_summary",
 * "feast_historical_options", "feast_retrieval_summary",
 * "feast_stream_run_options", "feast_stream_counters"); 0 for other
 * names. Bindings compare it with their own layout when they load, so a
 * struct that grew fails loudly instead of corrupting memory. */
FEAST_API size_t feast_abi_sizeof(const char *struct_name);

#endif
