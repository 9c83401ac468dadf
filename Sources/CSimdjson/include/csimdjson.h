/*
 * A small C API over simdjson's DOM parser, for Swift.
 *
 * One call parses a message and flattens the whole document into an array of
 * nodes in pre-order (a container is followed by its descendants), so Swift
 * walks plain structs instead of crossing into C++ per field. Strings are
 * unescaped, UTF-8 validated by simdjson, and stay valid until the next parse
 * on the same parser.
 *
 * Duplicate member keys are an audit hazard (two readers may pick different
 * values). csj_parse does not look for them, because the caller matches
 * every key of the objects it knows anyway; csj_serialize checks every
 * object of the value it returns.
 */
#ifndef CSIMDJSON_H
#define CSIMDJSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Node types. */
#define CSJ_OBJECT 1
#define CSJ_ARRAY 2
#define CSJ_STRING 3
#define CSJ_INT64 4
#define CSJ_UINT64 5
#define CSJ_DOUBLE 6
#define CSJ_TRUE 7
#define CSJ_FALSE 8
#define CSJ_NULL 9

/* Parse status codes (0 is success). */
#define CSJ_OK 0
#define CSJ_EMPTY 1              /* no JSON value in the input */
#define CSJ_INVALID_JSON 2       /* a syntax error not covered below */
#define CSJ_TRUNCATED 3          /* the document ends early */
#define CSJ_INVALID_UTF8 4
#define CSJ_CONTROL_CHARACTER 5  /* an unescaped control character in a string */
#define CSJ_INVALID_NUMBER 6
#define CSJ_NUMBER_OUT_OF_RANGE 7
#define CSJ_TOO_DEEP 8
#define CSJ_TOO_LARGE 9
#define CSJ_TOO_MANY_VALUES 10
#define CSJ_DUPLICATE_KEY 11     /* from csj_serialize; csj_error_node names the second occurrence */
#define CSJ_OUT_OF_MEMORY 12
#define CSJ_INTERNAL 13

/* The sentinel parent of the root node. */
#define CSJ_NO_PARENT UINT32_MAX

/* One JSON value of a flattened document. */
typedef struct csj_node {
    const char *key;  /* unescaped member key, or NULL for the root and array elements */
    const char *str;  /* unescaped string value, for CSJ_STRING */
    union {
        int64_t i64;
        uint64_t u64;
        double f64;
    } num;            /* the number, for CSJ_INT64, CSJ_UINT64 and CSJ_DOUBLE */
    uint32_t key_len;
    uint32_t str_len; /* string length, or the member/element count of an object/array */
    uint32_t parent;  /* index of the enclosing container, or CSJ_NO_PARENT */
    uint32_t end;     /* index one past this node's last descendant: the next sibling */
    uint8_t type;
} csj_node;

typedef struct csj_parser csj_parser;

/*
 * Creates a parser that accepts documents up to max_bytes long, max_depth deep
 * and holding at most max_values values. Returns NULL when out of memory.
 */
csj_parser *csj_parser_create(size_t max_bytes, size_t max_depth, size_t max_values);
void csj_parser_destroy(csj_parser *parser);

/*
 * Parses len bytes at data (no padding needed). On CSJ_OK, *nodes points at
 * *count nodes, nodes[0] being the root; they stay valid until the next call.
 */
int csj_parse(csj_parser *parser, const uint8_t *data, size_t len, const csj_node **nodes, size_t *count);

/* After CSJ_DUPLICATE_KEY: the node index of the repeated member. */
uint32_t csj_error_node(const csj_parser *parser);

/*
 * Minified JSON text of node `index` of the last successful parse, valid until
 * the next call on this parser. Returns CSJ_OK, CSJ_DUPLICATE_KEY when an
 * object inside the value repeats a key, or CSJ_INTERNAL for a bad index.
 */
int csj_serialize(csj_parser *parser, uint32_t index, const char **text, size_t *len);

/* A short English description of a status code. */
const char *csj_status_message(int status);

#ifdef __cplusplus
}
#endif

#endif
