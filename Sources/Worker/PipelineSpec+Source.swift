import AuditDecoder
import GatewayFormats
import Kafka
import Pipeline

extension SourceConfiguration {
    /// The source part of a pipeline file.
    public init(_ spec: PipelineSpec) {
        self.init(
            kafka: KafkaProperties(spec.source.kafka),
            topics: spec.source.topics,
            deadLetterTopic: spec.source.deadLetterTopic,
            batchSize: spec.source.batchSize,
            maxInFlightPerPartition: spec.buffers.inFlightPerPartition,
            maxBatchesInFlight: spec.buffers.batchesInFlight,
            format: spec.source.format,
            commitIntervalMilliseconds: spec.source.commitIntervalMilliseconds,
            decoderLimits: .init(maxMessageBytes: spec.decoder.maxMessageBytes, maxDepth: spec.decoder.maxDepth),
            detection: spec.detectionStage.enabled ? spec.detection : nil,
            alertsTopic: spec.detectionStage.alertsTopic,
            stateStore: spec.resolvedStateStore,
            snapshotIntervalSeconds: spec.detectionStage.snapshotIntervalSeconds,
            shutdownTimeout: .seconds(spec.source.shutdownTimeoutSeconds)
        )
        topicFormats = spec.source.topicFormats
        mapping = FormatSettings(spec)
    }
}
