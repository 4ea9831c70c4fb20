/*
 * avro_resolve.h - Avro schema resolution (the specification's "Schema
 * Resolution" section): whether data written with one schema (the writer's)
 * can be read as another (the reader's), and which reader branch or field
 * each writer value goes to. The decoding plan (avro_plan.h) is compiled
 * from these answers; this module decides, the plan only lays out code.
 *
 * The rules, as the specification gives them:
 *   - primitives match themselves, and the promotions int -> long, float,
 *     double; long -> float, double; float -> double; string <-> bytes;
 *   - records, enums and fixed match when their unqualified names are
 *     equal or the writer's name is one of the reader's aliases (fixed
 *     also needs the same size);
 *   - arrays match when their items match, maps when their values match;
 *   - a reader union takes the first branch that matches the writer; a
 *     writer union is resolved per branch when a value is read, and a
 *     branch the reader cannot take is an error for that datum only;
 *   - record fields match by name or by a reader field's alias, in any
 *     order; writer fields the reader lacks are skipped; reader fields the
 *     writer lacks take their default, and without one the schemas do not
 *     resolve;
 *   - a writer enum symbol the reader lacks reads as the reader's enum
 *     default, and without one it is an error for that datum.
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_RESOLVE_H
#define FEAST_FORMAT_AVRO_AVRO_RESOLVE_H

#include <stdbool.h>

#include "feast/error.h"
#include "format/avro/avro_schema.h"

/* Could a value of writer type w (not a union) be read as reader type r
 * (not a union)? Shallow: names and kinds, not record fields. */
bool feast_avro_matches(const feast_avro_node *w, const feast_avro_node *r);

/* The reader type a writer value of type w (not a union) is read as: r
 * when r is not a union and matches, else the first matching branch of
 * the union r; NULL when none matches. */
const feast_avro_node *feast_avro_reader_branch(const feast_avro_node *w, const feast_avro_node *r);

/* The reader field that writer field `name` fills: same name, else a
 * reader field with that alias. NULL when the reader has none. */
const feast_avro_field *feast_avro_reader_field(const feast_avro_node *reader_record, const char *name);
/* Whether reader field rf is filled by some field of the writer record. */
bool feast_avro_writer_has(const feast_avro_node *writer_record, const feast_avro_field *rf);

/* The whole pair, deeply: FEAST_OK when every datum of the writer schema
 * has a reading (up to the per-datum errors named above), else
 * FEAST_E_SCHEMA naming the field path and both types, e.g.
 * "field loc.city: writer string cannot be read as reader long". */
feast_code feast_avro_resolve_check(const feast_avro_node *writer, const feast_avro_node *reader, feast_error *err);

#endif
