import Foundation
import Kafka
import Pipeline

extension PipelineChecks {
    /// The checks `check` and `run` make: librdkafka judges the Kafka
    /// properties (the same library that will use them), and every named
    /// file must be readable by this process now.
    public static let live = PipelineChecks(
        kafkaProperties: { KafkaProperties($0).refusals() },
        unreadableFile: { path in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return "no such file"
            }
            if access(path, R_OK) != 0 { return "not readable by this user (\(String(cString: strerror(errno))))" }
            return nil
        }
    )
}
