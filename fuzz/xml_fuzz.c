/*
 * xml_fuzz.c - the XML reader over arbitrary bytes, pull tokens and tree,
 * and the AWS error reader (which also takes JSON) over the same bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "cloud/aws/aws_error.h"
#include "format/xml/xml_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_error err;
  feast_xml_limits lim = {.max_depth = 32, .max_input = 1 << 20, .max_text = 1 << 16};
  feast_xml_reader r;
  if (feast_xml_reader_init(&r, data, size, "fuzz", &lim, &err) == FEAST_OK) {
    feast_xml_token t;
    for (int i = 0; i < 100000; i++) {
      if (feast_xml_next(&r, &t, &err) != FEAST_OK || t.kind == FEAST_XML_END) break;
    }
  }
  feast_xml_reader_free(&r);
  feast_arena *a = feast_arena_new(0);
  const feast_xml_node *root;
  if (a && feast_xml_parse(data, size, "fuzz", &lim, a, &root, &err) == FEAST_OK) {
    (void)feast_xml_child_text(root, "Code");
  }
  feast_arena_free(a);
  feast_aws_error_info info;
  feast_aws_error_parse(400, data, size, NULL, &info);
  (void)feast_aws_error_fail(&err, "s3", "GetObject", "s3://b/k", 400, &info);
  return 0;
}
