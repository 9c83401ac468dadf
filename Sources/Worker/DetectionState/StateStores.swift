import Detection
import Foundation
import Pipeline
import PostgresSink

extension PipelineSpec {
    /// The detection state store of the pipeline, a postgres store without
    /// a connection string of its own given the postgres sink's.
    public var resolvedStateStore: StateStore? {
        detectionStage.stateStore.map { store in
            guard case .postgres(nil) = store,
                let sink = sinks.lazy.compactMap({ $0.settings as? PostgresSettings }).first
            else { return store }
            return .postgres(conninfo: sink.conninfo)
        }
    }
}

extension PipelineSpec.StateStore {
    /// The store this names. `readOnly` (replay) opens a directory only if it exists.
    public func make(readOnly: Bool = false) throws(DetectionStateError) -> (any DetectionStateStore)? {
        switch self {
        case .directory(let path):
            if readOnly && !FileManager.default.fileExists(atPath: path) { return nil }
            return try DirectoryStateStore(directory: path)
        case .postgres(let conninfo):
            return PostgresStateStore(conninfo: conninfo ?? "")
        }
    }
}
