/*
 * xml_test.c - the XML reader: S3's documents as a tree, entities and
 * references, CDATA, comments, and each refusal (DOCTYPE, mismatched tags,
 * depth and size caps) with its line and column; and the AWS error bodies
 * read through it and through the JSON reader, mapped to feast codes.
 */
#include <string.h>

#include "base/arena.h"
#include "cloud/aws/aws_error.h"
#include "format/xml/xml_reader.h"
#include "test.h"

static const char *LIST =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix>a/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>tok&amp;1</NextContinuationToken>"
    "<Contents><Key>a/x&lt;1&gt;.parquet</Key><Size>10</Size><ETag>&quot;abc&quot;</ETag></Contents>"
    "<!-- a comment -->"
    "<Contents><Key>a/&#233;&#x4E2D;</Key><Size>20</Size></Contents>"
    "<CommonPrefixes><Prefix><![CDATA[a/<raw>&/]]></Prefix></CommonPrefixes>"
    "</ListBucketResult>\n";

static void s3_listing_tree(void) {
  feast_arena *a = feast_arena_new(0);
  const feast_xml_node *root;
  feast_error err;
  CHECK_OK(feast_xml_parse(LIST, strlen(LIST), "list", NULL, a, &root, &err), &err);
  CHECK_STR(root->name, "ListBucketResult");
  CHECK_STR(feast_xml_child_text(root, "Name"), "bucket");
  CHECK_STR(feast_xml_child_text(root, "NextContinuationToken"), "tok&1");
  const feast_xml_node *c = feast_xml_child(root, "Contents");
  CHECK_STR(feast_xml_child_text(c, "Key"), "a/x<1>.parquet");
  CHECK_STR(feast_xml_child_text(c, "ETag"), "\"abc\"");
  c = feast_xml_next_named(c);
  CHECK_STR(feast_xml_child_text(c, "Key"), "a/\xc3\xa9\xe4\xb8\xad");
  CHECK_STR(feast_xml_child_text(c, "Size"), "20");
  CHECK(feast_xml_next_named(c) == NULL);
  CHECK_STR(feast_xml_child_text(feast_xml_child(root, "CommonPrefixes"), "Prefix"), "a/<raw>&/");
  CHECK(feast_xml_child(root, "Missing") == NULL);
  feast_arena_free(a);
}

static void pull_tokens_and_self_closing(void) {
  const char *doc = "<a:r x='1' y=\"2\"><b/>t<c>u</c></a:r>";
  feast_xml_reader r;
  feast_error err;
  CHECK_OK(feast_xml_reader_init(&r, doc, strlen(doc), "doc", NULL, &err), &err);
  const char *want[] = {"S:a:r", "S:b", "C:b", "T:t", "S:c", "T:u", "C:c", "C:a:r", "E:"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    feast_xml_token t;
    CHECK_OK(feast_xml_next(&r, &t, &err), &err);
    char got[64];
    const char k = t.kind == FEAST_XML_START ? 'S' : t.kind == FEAST_XML_CLOSE ? 'C' : t.kind == FEAST_XML_TEXT ? 'T' : 'E';
    snprintf(got, sizeof got, "%c:%.*s", k, (int)t.len, t.str ? t.str : "");
    CHECK_STR(got, want[i]);
  }
  feast_xml_reader_free(&r);
}

static void refuses(const char *doc, feast_code code, const char *where, const feast_xml_limits *lim) {
  feast_arena *a = feast_arena_new(0);
  const feast_xml_node *root;
  feast_error err;
  feast_code rc = feast_xml_parse(doc, strlen(doc), "doc.xml", lim, a, &root, &err);
  CHECK_INT(rc, code);
  if (rc) CHECK_CONTAINS(err.message, where);
  feast_arena_free(a);
}

static void refusals(void) {
  refuses("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>", FEAST_E_CORRUPT, "DOCTYPE", NULL);
  refuses("<a><b></a>", FEAST_E_CORRUPT, "line 1, column 7: </a> closes <b>", NULL);
  refuses("<a>\n<b>", FEAST_E_CORRUPT, "ends inside <b>", NULL);
  refuses("<a>&foo;</a>", FEAST_E_CORRUPT, "unknown entity", NULL);
  refuses("<a>&#0;</a>", FEAST_E_CORRUPT, "U+0", NULL);
  refuses("<a>&#x110000;</a>", FEAST_E_CORRUPT, "out of range", NULL);
  refuses("<a>x & y</a>", FEAST_E_CORRUPT, "'&'", NULL);
  refuses("<a></a><b/>", FEAST_E_CORRUPT, "after the root", NULL);
  refuses("text", FEAST_E_CORRUPT, "outside the root", NULL);
  refuses("", FEAST_E_CORRUPT, "no root", NULL);
  refuses("<a b=c/>", FEAST_E_CORRUPT, "unquoted", NULL);
  refuses("<a><![CDATA[x</a>", FEAST_E_CORRUPT, "CDATA", NULL);
  feast_xml_limits depth = {.max_depth = 3};
  refuses("<a><b><c><d/></c></b></a>", FEAST_E_TOO_BIG, "nested deeper than the limit of 3", &depth);
  feast_xml_limits text = {.max_text = 4};
  refuses("<a>12345</a>", FEAST_E_TOO_BIG, "limit of 4", &text);
  feast_xml_limits input = {.max_input = 8};
  refuses("<a>12345</a>", FEAST_E_TOO_BIG, "over the limit of 8", &input);
}

static void aws_errors(void) {
  feast_aws_error_info info;
  feast_error err;
  const char *s3 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                   "<Message>The specified key does not exist.</Message><Key>k</Key><RequestId>R1</RequestId></Error>";
  feast_aws_error_parse(404, s3, strlen(s3), NULL, &info);
  CHECK_STR(info.code, "NoSuchKey");
  CHECK_STR(info.request_id, "R1");
  CHECK_INT(feast_aws_error_fail(&err, "s3", "GetObject", "s3://bucket/key", 404, &info), FEAST_E_NOT_FOUND);
  CHECK_STR(err.message, "AWS s3 GetObject s3://bucket/key: NoSuchKey: The specified key does not exist.");
  CHECK_INT(err.retriable, 0);

  const char *moto = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"
                     "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
                     "invalid.</Message></Error><RequestId>R2</RequestId></ErrorResponse>";
  feast_aws_error_parse(403, moto, strlen(moto), NULL, &info);
  CHECK_STR(info.code, "InvalidClientTokenId");
  CHECK_STR(info.request_id, "R2");
  CHECK_INT(feast_aws_error_fail(&err, "kinesis", "ListShards", "stream s", 403, &info), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "AWS kinesis ListShards stream s: InvalidClientTokenId: The security token");
  CHECK_CONTAINS(err.message, "check the access key");

  const char *json = "{\"__type\":\"com.amazonaws.kinesis.v20131202#ResourceNotFoundException\","
                     "\"message\":\"Stream s under account 000000000000 not found.\"}";
  feast_aws_error_parse(400, json, strlen(json), NULL, &info);
  CHECK_STR(info.code, "ResourceNotFoundException");
  CHECK_INT(feast_aws_error_fail(&err, "kinesis", "DescribeStreamSummary", "stream s", 400, &info),
            FEAST_E_NOT_FOUND);

  const char *throttle = "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}";
  feast_aws_error_parse(400, throttle, strlen(throttle), NULL, &info);
  CHECK_INT(feast_aws_error_classify(400, &info), FEAST_AWS_ERR_RETRY);
  CHECK_INT(feast_aws_error_fail(&err, "kinesis", "GetRecords", "", 400, &info), FEAST_E_SERVER);
  CHECK_INT(err.retriable, 1);
  CHECK_STR(err.message, "AWS kinesis GetRecords: ThrottlingException: Rate exceeded");

  /* The header names the type when the body does not; junk bodies leave codes empty. */
  feast_aws_error_parse(400, "{}", 2, "SerializationException:http://internal.amazon.com/", &info);
  CHECK_STR(info.code, "SerializationException");
  feast_aws_error_parse(503, "<html>oops", 10, NULL, &info);
  CHECK_STR(info.code, "");
  CHECK_INT(feast_aws_error_classify(503, &info), FEAST_AWS_ERR_RETRY);
  feast_aws_error_parse(403, "", 0, NULL, &info);
  CHECK_INT(feast_aws_error_fail(&err, "s3", "HeadObject", "s3://b/k", 403, &info), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "HTTP 403");
  feast_aws_error_parse(404, "", 0, NULL, &info);
  CHECK_INT(feast_aws_error_fail(&err, "s3", "HeadObject", "s3://b/k", 404, &info), FEAST_E_NOT_FOUND);
  const char *slow = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
  feast_aws_error_parse(503, slow, strlen(slow), NULL, &info);
  CHECK_INT(feast_aws_error_fail(&err, "s3", "PutObject", "s3://b/k", 503, &info), FEAST_E_SERVER);
  CHECK_INT(err.retriable, 1);
}

TEST_MAIN(T(s3_listing_tree), T(pull_tokens_and_self_closing), T(refusals), T(aws_errors))
