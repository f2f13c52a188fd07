import Logging
import Synchronization

/// Collects every log line of a test's logger.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }
    public var all: [String] { lines.withLock { $0 } }
    public var count: Int { lines.withLock { $0.count } }

    public func handler() -> some LogHandler { Handler(capture: self) }

    public func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let more = event.metadata { all.merge(more) { $1 } }
            capture.append("\(event.level) \(event.message) \(all) \(event.source) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}
