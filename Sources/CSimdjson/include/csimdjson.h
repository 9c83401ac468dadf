/*
 * A small C API over simdjson's DOM parser, for Swift.
 *
 * csj_parse validates a message (UTF-8, JSON syntax, depth) and exposes
 * simdjson's tape: one 64-bit word per value, in document order, as described
 * in simdjson's doc/tape.md. Swift walks it directly: an intermediate copy of
 * the document costs as much as the walk itself.
 *
 * Tape words: the top byte is the type ('{' '[' '"' 'l' 'u' 'd' 't' 'f' 'n');
 * '{' and '[' hold the index after their closing bracket in the low 32 bits
 * and the number of members or elements in bits 32-55 (saturated); '"' holds
 * an offset into `strings`, where a 32-bit little-endian length precedes the
 * unescaped UTF-8 bytes; 'l', 'u' and 'd' are followed by one word holding the
 * int64, uint64 or double. An object's members alternate key and value.
 *
 * Duplicate member keys are an audit hazard (two readers may pick different
 * values). csj_parse does not look for them, because the caller matches every
 * key of the objects it knows anyway; csj_serialize checks every object of
 * the value it returns.
 */
#ifndef CSIMDJSON_H
#define CSIMDJSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes (0 is success). */
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
#define CSJ_DUPLICATE_KEY 11     /* from csj_serialize; csj_error_index names the repeated member's value */
#define CSJ_OUT_OF_MEMORY 12
#define CSJ_INTERNAL 13

/* A parsed document, valid until the next call on the same parser. */
typedef struct csj_document {
    const uint64_t *tape;     /* tape[0] is the root word; the value starts at tape[1] */
    const uint8_t *strings;   /* the buffer string words point into */
} csj_document;

typedef struct csj_parser csj_parser;

/*
 * Creates a parser that accepts documents up to max_bytes long, max_depth deep
 * and at most max_values tape words long. Returns NULL when out of memory.
 */
csj_parser *csj_parser_create(size_t max_bytes, size_t max_depth, size_t max_values);
void csj_parser_destroy(csj_parser *parser);

/* Parses len bytes at data (no padding needed; the parser copies them). */
int csj_parse(csj_parser *parser, const uint8_t *data, size_t len, csj_document *document);

/* After CSJ_DUPLICATE_KEY: the tape index of the repeated member's value. */
size_t csj_error_index(const csj_parser *parser);

/*
 * Minified JSON text of the value at tape index `index` of the last successful
 * parse, valid until the next call on this parser. Returns CSJ_OK,
 * CSJ_DUPLICATE_KEY when an object inside the value repeats a key, or
 * CSJ_INTERNAL for an index that is not a value.
 */
int csj_serialize(csj_parser *parser, size_t index, const char **text, size_t *len);

/* A short English description of a status code. */
const char *csj_status_message(int status);

#ifdef __cplusplus
}
#endif

#endif
