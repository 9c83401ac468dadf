import Pipeline
import PostgresSink
import SIEM

/// Every sink a pipeline file may name: one line per sink.
public enum SinkKinds {
    public static let all: [any SinkKind.Type] = [
        NullSink.self,
        SummarySink.self,
        JSONLinesSink.self,
        PostgresSink.self,
        SIEMSink.self,
    ]
}
