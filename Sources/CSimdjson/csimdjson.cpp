// Flattens simdjson's DOM into csj_node arrays; see include/csimdjson.h.
#include "csimdjson.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using simdjson::dom::element;
using simdjson::dom::element_type;

struct csj_parser {
    simdjson::dom::parser parser;
    std::vector<csj_node> nodes;  // sized from the tape before each walk; `count` are in use
    size_t count = 0;
    element root;
    std::vector<uint8_t> input;  // the message plus simdjson's padding, reused
    // Duplicate detection: an open-addressing table of 64 slots, stamped with
    // the object's generation so it never needs clearing.
    struct slot {
        uint32_t generation;
        uint32_t node;
        uint64_t fingerprint;
    };
    slot slots[64] = {};
    uint32_t generation = 0;
    std::vector<std::pair<std::string_view, uint32_t>> keys;  // scratch for large objects
    std::string text;
    size_t max_values;
    uint32_t error_node = 0;

    csj_parser(size_t max_bytes, size_t max_depth, size_t max_values_)
        : parser(max_bytes), max_values(max_values_) {}
};

namespace {

int map_error(simdjson::error_code error) {
    switch (error) {
    case simdjson::SUCCESS: return CSJ_OK;
    case simdjson::EMPTY: return CSJ_EMPTY;
    case simdjson::CAPACITY: return CSJ_TOO_LARGE;
    case simdjson::MEMALLOC: return CSJ_OUT_OF_MEMORY;
    case simdjson::DEPTH_ERROR: return CSJ_TOO_DEEP;
    case simdjson::UTF8_ERROR: return CSJ_INVALID_UTF8;
    case simdjson::UNESCAPED_CHARS: return CSJ_CONTROL_CHARACTER;
    case simdjson::UNCLOSED_STRING:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: return CSJ_TRUNCATED;
    case simdjson::NUMBER_ERROR: return CSJ_INVALID_NUMBER;
    case simdjson::NUMBER_OUT_OF_RANGE: return CSJ_NUMBER_OUT_OF_RANGE;
    default: return CSJ_INVALID_JSON;
    }
}

// Length, first and last byte of a key: equal keys have equal fingerprints,
// and distinct keys of one object rarely share one, so most checks never
// compare bytes.
inline uint64_t fingerprint(const char *key, uint32_t len) {
    if (len == 0) { return 0; }
    return uint64_t(len) | (uint64_t(uint8_t(key[0])) << 32) | (uint64_t(uint8_t(key[len - 1])) << 40);
}

bool same_key(const csj_node &a, const csj_node &b) {
    return a.key_len == b.key_len && std::memcmp(a.key, b.key, a.key_len) == 0;
}

// Checks the direct children of the object at `index` for a repeated key.
// Up to 32 members go through a small hash table keyed by fingerprint (one
// probe each, usually); larger objects sort, so a hostile object with many
// members costs n log n, never n squared.
bool find_duplicate(csj_parser &p, uint32_t index, uint32_t &duplicate) {
    const csj_node *nodes = p.nodes.data();
    const uint32_t end = nodes[index].end;
    const uint32_t members = nodes[index].str_len;
    if (members <= 32) {
        const uint32_t generation = ++p.generation;
        if (generation == 0) {  // wrapped: old stamps could look current
            std::memset(p.slots, 0, sizeof(p.slots));
            p.generation = 1;
        }
        for (uint32_t c = index + 1; c < end; c = nodes[c].end) {
            const uint64_t print = fingerprint(nodes[c].key, nodes[c].key_len);
            uint32_t at = static_cast<uint32_t>((print * 0x9E3779B97F4A7C15ull) >> 58);
            while (p.slots[at].generation == p.generation) {
                if (p.slots[at].fingerprint == print && same_key(nodes[c], nodes[p.slots[at].node])) {
                    duplicate = c;
                    return true;
                }
                at = (at + 1) & 63;
            }
            p.slots[at] = {p.generation, c, print};
        }
        return false;
    }
    auto &keys = p.keys;
    keys.clear();
    for (uint32_t c = index + 1; c < end; c = nodes[c].end) {
        keys.emplace_back(std::string_view(nodes[c].key, nodes[c].key_len), c);
    }
    std::sort(keys.begin(), keys.end());
    for (size_t i = 1; i < keys.size(); i++) {
        if (keys[i].first == keys[i - 1].first) {
            duplicate = std::max(keys[i].second, keys[i - 1].second);
            return true;
        }
    }
    return false;
}

constexpr uint64_t value_mask = 0x00FFFFFFFFFFFFFFull;

// A string on the tape points into string_buf at a 32-bit length followed by the bytes.
inline void read_string(const uint8_t *strings, uint64_t word, const char *&text, uint32_t &length) {
    const uint8_t *at = strings + (word & value_mask);
    std::memcpy(&length, at, sizeof(length));
    text = reinterpret_cast<const char *>(at + sizeof(length));
}

// Flattens the document on the tape into p.nodes, in pre-order.
//
// Walks simdjson's documented tape format (doc/tape.md) directly and
// iteratively: going through dom::element, or recursing per value, costs as
// many instructions as the parse itself. Depth was bounded by the parser.
int flatten(csj_parser &p, const uint64_t *tape, const uint8_t *strings) {
    struct open_container {
        uint32_t node;     // its index in p.nodes
        uint32_t after;    // tape index after its closing bracket
        uint32_t members;  // children seen so far
        bool object;
    };
    open_container stack[1024];
    size_t depth = 0;
    csj_node *nodes = p.nodes.data();
    const size_t limit = std::min(p.max_values, p.nodes.size());
    size_t count = 0;
    size_t i = 1;  // tape[0] is the root word
    const char *key = nullptr;
    uint32_t key_len = 0;
    for (;;) {
        // Close every container whose last child has been read.
        while (depth > 0 && i + 1 >= stack[depth - 1].after) {
            const open_container &done = stack[--depth];
            nodes[done.node].end = static_cast<uint32_t>(count);
            nodes[done.node].str_len = done.members;
            i = done.after;
        }
        if (depth == 0 && count > 0) { break; }
        if (depth > 0) {
            open_container &parent = stack[depth - 1];
            parent.members++;
            if (parent.object) {
                read_string(strings, tape[i], key, key_len);
                i += 1;
            } else {
                key = nullptr;
                key_len = 0;
            }
        }
        if (count >= limit) {
            p.count = count;
            return CSJ_TOO_MANY_VALUES;
        }
        csj_node &node = nodes[count];
        node.key = key;
        node.key_len = key_len;
        node.parent = depth > 0 ? stack[depth - 1].node : CSJ_NO_PARENT;
        node.end = static_cast<uint32_t>(count + 1);
        const uint64_t word = tape[i];
        switch (static_cast<char>(word >> 56)) {
        case '"': node.type = CSJ_STRING; read_string(strings, word, node.str, node.str_len); i += 1; break;
        case 'l': node.type = CSJ_INT64; std::memcpy(&node.num.i64, &tape[i + 1], 8); i += 2; break;
        case 'u': node.type = CSJ_UINT64; std::memcpy(&node.num.u64, &tape[i + 1], 8); i += 2; break;
        case 'd': node.type = CSJ_DOUBLE; std::memcpy(&node.num.f64, &tape[i + 1], 8); i += 2; break;
        case 't': node.type = CSJ_TRUE; i += 1; break;
        case 'f': node.type = CSJ_FALSE; i += 1; break;
        case 'n': node.type = CSJ_NULL; i += 1; break;
        case '{':
        case '[':
            if (depth == 1024) {
                p.count = count;
                return CSJ_TOO_DEEP;
            }
            node.type = (word >> 56) == '{' ? CSJ_OBJECT : CSJ_ARRAY;
            stack[depth++] = {static_cast<uint32_t>(count), static_cast<uint32_t>(word),  0,
                              (word >> 56) == '{'};
            i += 1;
            break;
        default:
            p.count = count;
            return CSJ_INTERNAL;
        }
        count++;
    }
    p.count = count;
    return CSJ_OK;
}

}  // namespace

extern "C" {

csj_parser *csj_parser_create(size_t max_bytes, size_t max_depth, size_t max_values) {
    csj_parser *p = new (std::nothrow) csj_parser(max_bytes, max_depth, max_values);
    if (p == nullptr) { return nullptr; }
    if (p->parser.allocate(std::min<size_t>(max_bytes, 64 * 1024), max_depth) != simdjson::SUCCESS) {
        delete p;
        return nullptr;
    }
    p->nodes.reserve(256);
    return p;
}

void csj_parser_destroy(csj_parser *parser) { delete parser; }

int csj_parse(csj_parser *p, const uint8_t *data, size_t len, const csj_node **nodes, size_t *count) {
    p->count = 0;
    p->error_node = 0;
    *nodes = nullptr;
    *count = 0;
    if (len > p->parser.max_capacity()) { return CSJ_TOO_LARGE; }
    try {
        // simdjson reads up to SIMDJSON_PADDING bytes past the end; copy into a
        // reused padded buffer rather than letting it allocate one per message.
        if (p->input.size() < len + simdjson::SIMDJSON_PADDING) {
            p->input.resize(len + simdjson::SIMDJSON_PADDING);
        }
        std::memcpy(p->input.data(), data, len);
        std::memset(p->input.data() + len, 0, simdjson::SIMDJSON_PADDING);
        simdjson::error_code error = p->parser.parse(p->input.data(), len, false).get(p->root);
        if (error != simdjson::SUCCESS) { return map_error(error); }
        // tape[0] is the root word: its payload is the index of the last
        // word, so the tape length bounds the number of values.
        const uint64_t *tape = p->parser.doc.tape.get();
        const size_t words = static_cast<size_t>(tape[0] & value_mask) + 1;
        if (p->nodes.size() < words) { p->nodes.resize(words); }
        p->count = 0;
        int status = flatten(*p, tape, p->parser.doc.string_buf.get());
        *nodes = p->nodes.data();
        *count = p->count;
        return status;
    } catch (const std::bad_alloc &) {
        return CSJ_OUT_OF_MEMORY;
    } catch (...) {
        return CSJ_INTERNAL;
    }
}

uint32_t csj_error_node(const csj_parser *parser) { return parser->error_node; }

// Finds the DOM element of node `index` again by walking from the root along
// the node's ancestry. Only kept (unknown or opaque) values need this, so the
// hot path keeps no per-node DOM handles.
bool locate(const csj_parser &p, uint32_t index, element &out) {
    uint32_t chain[1024];
    size_t depth = 0;
    for (uint32_t i = index; i != 0 && i != CSJ_NO_PARENT; i = p.nodes[i].parent) {
        if (depth == 1024) { return false; }
        chain[depth++] = i;
    }
    element current = p.root;
    uint32_t current_index = 0;
    while (depth > 0) {
        const uint32_t target = chain[--depth];
        // Position of `target` among the children of `current_index`.
        size_t position = 0;
        for (uint32_t c = current_index + 1; c != target; c = p.nodes[c].end) { position++; }
        size_t i = 0;
        bool found = false;
        if (current.type() == element_type::OBJECT) {
            for (auto field : simdjson::dom::object(current.get_object().value_unsafe())) {
                if (i++ == position) { current = field.value; found = true; break; }
            }
        } else if (current.type() == element_type::ARRAY) {
            for (auto item : simdjson::dom::array(current.get_array().value_unsafe())) {
                if (i++ == position) { current = item; found = true; break; }
            }
        }
        if (!found) { return false; }
        current_index = target;
    }
    out = current;
    return true;
}

int csj_serialize(csj_parser *p, uint32_t index, const char **text, size_t *len) {
    if (index >= p->count) { return CSJ_INTERNAL; }
    // Kept values are checked for repeated keys here, where they leave the
    // parser; the known objects of the contract are checked by the caller.
    for (uint32_t n = index; n < p->nodes[index].end; n++) {
        uint32_t duplicate = 0;
        if (p->nodes[n].type == CSJ_OBJECT && find_duplicate(*p, n, duplicate)) {
            p->error_node = duplicate;
            return CSJ_DUPLICATE_KEY;
        }
    }
    element value;
    if (!locate(*p, index, value)) { return CSJ_INTERNAL; }
    try {
        p->text = simdjson::minify(value);
    } catch (...) {
        return CSJ_OUT_OF_MEMORY;
    }
    *text = p->text.data();
    *len = p->text.size();
    return CSJ_OK;
}

const char *csj_status_message(int status) {
    switch (status) {
    case CSJ_OK: return "ok";
    case CSJ_EMPTY: return "no JSON value in the message";
    case CSJ_INVALID_JSON: return "not valid JSON";
    case CSJ_TRUNCATED: return "the JSON ends early (truncated message)";
    case CSJ_INVALID_UTF8: return "not valid UTF-8";
    case CSJ_CONTROL_CHARACTER: return "an unescaped control character inside a string";
    case CSJ_INVALID_NUMBER: return "a malformed or unrepresentable number";
    case CSJ_NUMBER_OUT_OF_RANGE: return "a number does not fit in 64 bits";
    case CSJ_TOO_DEEP: return "nesting deeper than the configured limit";
    case CSJ_TOO_LARGE: return "the message is larger than the configured limit";
    case CSJ_TOO_MANY_VALUES: return "more JSON values than the configured limit";
    case CSJ_DUPLICATE_KEY: return "a key appears twice in one object";
    case CSJ_OUT_OF_MEMORY: return "out of memory";
    default: return "internal parser error";
    }
}

}  // extern "C"
