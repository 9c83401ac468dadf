// Parses with simdjson's DOM parser and serialises kept values from its tape;
// see include/csimdjson.h.
#include "csimdjson.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

struct csj_parser {
    simdjson::dom::parser parser;
    std::vector<uint8_t> input;  // the message plus simdjson's padding, reused
    std::vector<std::string_view> keys;  // scratch for duplicate checks
    std::string text;                    // the last serialised value
    size_t words = 0;
    size_t max_values;
    size_t error_index = 0;

    csj_parser(size_t max_bytes, size_t max_values_) : parser(max_bytes), max_values(max_values_) {}
};

namespace {

constexpr uint64_t value_mask = 0x00FFFFFFFFFFFFFFull;

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

std::string_view string_at(const uint8_t *strings, uint64_t word) {
    const uint8_t *at = strings + (word & value_mask);
    uint32_t length = 0;
    std::memcpy(&length, at, sizeof(length));
    return std::string_view(reinterpret_cast<const char *>(at + sizeof(length)), length);
}

size_t after(const uint64_t *tape, size_t i) {
    switch (static_cast<char>(tape[i] >> 56)) {
    case '{':
    case '[': return static_cast<uint32_t>(tape[i]);
    case 'l':
    case 'u':
    case 'd': return i + 2;
    default: return i + 1;
    }
}

void write_string(std::string &out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

template <typename Number> void write_number(std::string &out, Number value) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.append(buffer, result.ptr);
}

// Whether the object whose members start at `first` and end before `end`
// repeats a key. Small objects compare pairwise; larger ones sort, so a
// hostile object with many members costs n log n, not n squared.
bool repeated_key(csj_parser &p, const uint64_t *tape, const uint8_t *strings, size_t first, size_t end) {
    auto &keys = p.keys;
    keys.clear();
    std::vector<size_t> values;
    for (size_t k = first; k < end; k = after(tape, k + 1)) {
        keys.push_back(string_at(strings, tape[k]));
        values.push_back(k + 1);
    }
    if (keys.size() <= 16) {
        for (size_t i = 1; i < keys.size(); i++) {
            for (size_t j = 0; j < i; j++) {
                if (keys[i] == keys[j]) {
                    p.error_index = values[i];
                    return true;
                }
            }
        }
        return false;
    }
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); i++) { order[i] = i; }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    for (size_t i = 1; i < order.size(); i++) {
        if (keys[order[i]] == keys[order[i - 1]]) {
            p.error_index = values[std::max(order[i], order[i - 1])];
            return true;
        }
    }
    return false;
}

// Writes the value at tape[i] as minified JSON and checks its objects for
// repeated keys. Recursion depth is bounded by the parser's max_depth.
int serialize(csj_parser &p, const uint64_t *tape, const uint8_t *strings, size_t i, std::string &out) {
    const uint64_t word = tape[i];
    switch (static_cast<char>(word >> 56)) {
    case '"': write_string(out, string_at(strings, word)); return CSJ_OK;
    case 'l': {
        int64_t value;
        std::memcpy(&value, &tape[i + 1], 8);
        write_number(out, value);
        return CSJ_OK;
    }
    case 'u': write_number(out, tape[i + 1]); return CSJ_OK;
    case 'd': {
        double value;
        std::memcpy(&value, &tape[i + 1], 8);
        write_number(out, value);
        return CSJ_OK;
    }
    case 't': out += "true"; return CSJ_OK;
    case 'f': out += "false"; return CSJ_OK;
    case 'n': out += "null"; return CSJ_OK;
    case '{': {
        const size_t end = static_cast<uint32_t>(word) - 1;
        if (repeated_key(p, tape, strings, i + 1, end)) { return CSJ_DUPLICATE_KEY; }
        out.push_back('{');
        for (size_t k = i + 1; k < end; k = after(tape, k + 1)) {
            if (k != i + 1) { out.push_back(','); }
            write_string(out, string_at(strings, tape[k]));
            out.push_back(':');
            int status = serialize(p, tape, strings, k + 1, out);
            if (status != CSJ_OK) { return status; }
        }
        out.push_back('}');
        return CSJ_OK;
    }
    case '[': {
        const size_t end = static_cast<uint32_t>(word) - 1;
        out.push_back('[');
        for (size_t k = i + 1; k < end; k = after(tape, k)) {
            if (k != i + 1) { out.push_back(','); }
            int status = serialize(p, tape, strings, k, out);
            if (status != CSJ_OK) { return status; }
        }
        out.push_back(']');
        return CSJ_OK;
    }
    default: return CSJ_INTERNAL;
    }
}

}  // namespace

extern "C" {

csj_parser *csj_parser_create(size_t max_bytes, size_t max_depth, size_t max_values) {
    csj_parser *p = new (std::nothrow) csj_parser(max_bytes, max_values);
    if (p == nullptr) { return nullptr; }
    if (p->parser.allocate(std::min<size_t>(max_bytes, 64 * 1024), max_depth) != simdjson::SUCCESS) {
        delete p;
        return nullptr;
    }
    return p;
}

void csj_parser_destroy(csj_parser *parser) { delete parser; }

int csj_parse(csj_parser *p, const uint8_t *data, size_t len, csj_document *document) {
    *document = csj_document{nullptr, nullptr};
    p->words = 0;
    p->error_index = 0;
    if (len > p->parser.max_capacity()) { return CSJ_TOO_LARGE; }
    try {
        // simdjson reads up to SIMDJSON_PADDING bytes past the end; copy into a
        // reused padded buffer rather than letting it allocate one per message.
        if (p->input.size() < len + simdjson::SIMDJSON_PADDING) {
            p->input.resize(len + simdjson::SIMDJSON_PADDING);
        }
        std::memcpy(p->input.data(), data, len);
        std::memset(p->input.data() + len, 0, simdjson::SIMDJSON_PADDING);
        simdjson::dom::element root;
        simdjson::error_code error = p->parser.parse(p->input.data(), len, false).get(root);
        if (error != simdjson::SUCCESS) { return map_error(error); }
        const uint64_t *tape = p->parser.doc.tape.get();
        // tape[0] is the root word; its payload is the index of the last word.
        const size_t words = static_cast<size_t>(tape[0] & value_mask) + 1;
        if (words > p->max_values) { return CSJ_TOO_MANY_VALUES; }
        p->words = words;
        *document = csj_document{tape, p->parser.doc.string_buf.get()};
        return CSJ_OK;
    } catch (const std::bad_alloc &) {
        return CSJ_OUT_OF_MEMORY;
    } catch (...) {
        return CSJ_INTERNAL;
    }
}

size_t csj_error_index(const csj_parser *parser) { return parser->error_index; }

int csj_serialize(csj_parser *p, size_t index, const char **text, size_t *len) {
    if (index == 0 || index + 1 >= p->words) { return CSJ_INTERNAL; }
    try {
        p->text.clear();
        int status = serialize(*p, p->parser.doc.tape.get(), p->parser.doc.string_buf.get(), index, p->text);
        if (status != CSJ_OK) { return status; }
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
