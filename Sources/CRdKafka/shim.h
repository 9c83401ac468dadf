#pragma once
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/*
 * rd_kafka_producev is variadic, which Swift cannot call: this enqueues one
 * message with an optional key, partition, header list and per-message
 * opaque (handed back in the delivery report). On success the header list
 * belongs to librdkafka; on failure it stays the caller's.
 */
static inline rd_kafka_resp_err_t countersign_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                      const void *value, size_t value_len, const void *key,
                                                      size_t key_len, rd_kafka_headers_t *headers, void *opaque) {
    if (headers != NULL) {
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_KEY(key, key_len),
                                 RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    }
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}
