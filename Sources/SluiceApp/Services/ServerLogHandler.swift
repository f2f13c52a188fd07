import Logging

/// The server's log handler: swift-log's `StreamLogHandler` on standard error, with the logger's own metadata kept as
/// it is given and put into a line only when one is written.
///
/// `StreamLogHandler` formats its metadata again each time an item is set. Hummingbird sets one (`hb.request.id`) on a
/// copy of the server's logger for every request, so with it every request paid for formatting a line that, below
/// `info`, is never written: about 4 % of `GET /destinations/{id}`'s CPU (issue 20). Lines are the same as
/// `StreamLogHandler`'s: it writes them, given the logger's metadata with each line's own (which win).
public struct ServerLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    /// A handler writing to standard error, as `StreamLogHandler.standardError(label:)` does.
    public init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    /// A handler writing to `stream`.
    init(label: String, stream: any TextOutputStream & Sendable) {
        self.stream = StreamLogHandler(label: label, stream: stream)
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, own in own }
        }
        stream.log(event: event)
    }
}
