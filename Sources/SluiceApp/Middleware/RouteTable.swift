import Hummingbird
import Synchronization

/// The routes Sluice serves, as path patterns with their methods.
///
/// Hummingbird answers an unknown method on a known path as it answers an unknown
/// path (404); this table lets ``ErrorMiddleware`` answer 405 with `Allow` instead,
/// and lets ``MediaTypeMiddleware`` know which media types a path serves.
final class RouteTable: Sendable {
    struct Entry: Sendable {
        let segments: [Substring]
        let methods: [HTTPRequest.Method]
    }

    private let storage = Mutex<[Entry]>([])
    var entries: [Entry] { storage.withLock { $0 } }

    init() {}

    /// Fills the table from the router once every route is registered.
    func load(_ routes: [(path: String, method: HTTPRequest.Method)]) {
        let grouped = Dictionary(grouping: routes, by: \.path)
        storage.withLock { $0 = grouped.map { Entry(segments: $0.key.split(separator: "/"), methods: $0.value.map(\.method)) } }
    }

    /// The methods served at `path`, or `nil` when no route matches it.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        var found: [HTTPRequest.Method]?
        for entry in entries where entry.segments.count == segments.count {
            // The router describes a captured segment as `{name}` (registered as `:name`).
            let matches = zip(entry.segments, segments).allSatisfy { pattern, actual in
                pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == actual
            }
            if matches { found = (found ?? []) + entry.methods }
        }
        return found
    }
}
