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
    std::vector<csj_node> nodes;
    element root;
    std::vector<uint8_t> input;  // the message plus simdjson's padding, reused
    std::vector<uint64_t> fingerprints;                       // scratch for duplicate checks
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
// Objects of up to 32 members compare fingerprints pairwise; larger ones
// sort, so a hostile object with many members costs n log n, not n squared.
bool find_duplicate(csj_parser &p, uint32_t index, uint32_t &duplicate) {
    auto &nodes = p.nodes;
    const uint32_t end = nodes[index].end;
    auto &prints = p.fingerprints;
    prints.clear();
    for (uint32_t c = index + 1; c < end; c = nodes[c].end) {
        prints.push_back(fingerprint(nodes[c].key, nodes[c].key_len));
        if (prints.size() > 32) { break; }
    }
    if (prints.size() <= 32) {
        uint32_t ci = index + 1;
        for (size_t i = 0; i < prints.size(); i++, ci = nodes[ci].end) {
            uint32_t cj = index + 1;
            for (size_t j = 0; j < i; j++, cj = nodes[cj].end) {
                if (prints[i] == prints[j] && same_key(nodes[ci], nodes[cj])) {
                    duplicate = ci;
                    return true;
                }
            }
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
            duplicate = keys[i].second;
            return true;
        }
    }
    return false;
}

// Appends `value` and its descendants. Recursion depth is bounded by the
// parser's max_depth, which simdjson enforced while parsing.
int flatten(csj_parser &p, element value, const char *key, uint32_t key_len, uint32_t parent) {
    if (p.nodes.size() >= p.max_values) { return CSJ_TOO_MANY_VALUES; }
    const uint32_t index = static_cast<uint32_t>(p.nodes.size());
    // Fill the node in place: building it on the stack and copying it in
    // stalls on store forwarding (narrow writes, then wide reads).
    csj_node &node = p.nodes.emplace_back();
    node.key = key;
    node.key_len = key_len;
    node.parent = parent;
    switch (value.type()) {
    case element_type::OBJECT: node.type = CSJ_OBJECT; break;
    case element_type::ARRAY: node.type = CSJ_ARRAY; break;
    case element_type::STRING: {
        std::string_view s = value.get_string().value_unsafe();
        node.type = CSJ_STRING;
        node.str = s.data();
        node.str_len = static_cast<uint32_t>(s.size());
        break;
    }
    case element_type::INT64: node.type = CSJ_INT64; node.num.i64 = value.get_int64().value_unsafe(); break;
    case element_type::UINT64: node.type = CSJ_UINT64; node.num.u64 = value.get_uint64().value_unsafe(); break;
    case element_type::DOUBLE: node.type = CSJ_DOUBLE; node.num.f64 = value.get_double().value_unsafe(); break;
    case element_type::BOOL: node.type = value.get_bool().value_unsafe() ? CSJ_TRUE : CSJ_FALSE; break;
    case element_type::NULL_VALUE: node.type = CSJ_NULL; break;
    }
    const uint8_t type = node.type;  // `node` dangles once children are appended
    if (type == CSJ_OBJECT) {
        // Copy the object out of its simdjson_result first: iterating the
        // result's value_unsafe() directly would outlive the temporary.
        const simdjson::dom::object object = value.get_object().value_unsafe();
        for (auto field : object) {
            int status = flatten(p, field.value, field.key.data(), static_cast<uint32_t>(field.key.size()), index);
            if (status != CSJ_OK) { return status; }
        }
    } else if (type == CSJ_ARRAY) {
        const simdjson::dom::array array = value.get_array().value_unsafe();
        for (auto item : array) {
            int status = flatten(p, item, nullptr, 0, index);
            if (status != CSJ_OK) { return status; }
        }
    }
    p.nodes[index].end = static_cast<uint32_t>(p.nodes.size());
    if (type == CSJ_OBJECT) {
        uint32_t duplicate = 0;
        if (find_duplicate(p, index, duplicate)) {
            p.error_node = duplicate;
            return CSJ_DUPLICATE_KEY;
        }
    }
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
    p->nodes.clear();
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
        int status = flatten(*p, p->root, nullptr, 0, CSJ_NO_PARENT);
        *nodes = p->nodes.data();
        *count = p->nodes.size();
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
    element value;
    if (index >= p->nodes.size() || !locate(*p, index, value)) { return CSJ_INTERNAL; }
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
