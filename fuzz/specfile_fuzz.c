/*
 * specfile_fuzz.c - spec-file parser on arbitrary bytes; whatever parses is
 * validated (without source checks, which read files) and emitted, and the
 * emitted text must parse back to an equal spec.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feast/specfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_spec_docs docs = {0};
  feast_error err;
  if (feast_specfile_parse_text((const char *)data, size, "fuzz.yaml", &docs, &err) == FEAST_OK) {
    feast_specs_validate(&docs, NULL, NULL, true, &err);
    for (size_t i = 0; i < docs.n; i++) {
      const feast_spec_doc *d = &docs.docs[i];
      for (int fmt = 0; fmt < 2; fmt++) {
        char *out = NULL;
        feast_code rc = d->kind == FEAST_DOC_ENTITY ? feast_entity_emit(&d->entity, (feast_spec_format)fmt, &out, &err)
                                                    : feast_feature_table_emit(&d->table, (feast_spec_format)fmt, &out, &err);
        if (rc != FEAST_OK) continue;
        feast_spec_docs back = {0};
        if (feast_specfile_parse_text(out, strlen(out), "fuzz.yaml", &back, &err) != FEAST_OK || back.n != 1) abort();
        int eq = d->kind == FEAST_DOC_ENTITY ? feast_entity_spec_equal(&d->entity, &back.docs[0].entity)
                                             : feast_feature_table_spec_equal(&d->table, &back.docs[0].table);
        if (!eq) abort();
        feast_spec_docs_clear(&back);
        free(out);
      }
    }
  }
  feast_spec_docs_clear(&docs);
  return 0;
}
