import Testing

/// The end-to-end suites, one after another: each starts workers, brokers'
/// groups and database writes that would slow the others down if they ran
/// at once (and group joins on a loaded machine take long).
@Suite("End to end", .serialized)
enum EndToEndSuites {}
