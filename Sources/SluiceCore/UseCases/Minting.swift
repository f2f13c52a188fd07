import Foundation
import Synchronization

/// Where new ids, write keys and timestamps come from: the system's clock and random source in a server, a fixed
/// sequence in tests (``sequential(start:step:)``), so that an answer can be compared byte for byte.
///
/// Every use case takes one; nothing in a use case reads the clock or draws an id itself.
public struct Minting: Sendable {
    /// The time now, to the millisecond the stores keep, so that an answer and a later read of the same resource agree.
    public var now: @Sendable () -> Date
    /// A new resource id (22 base62 characters in a server).
    public var id: @Sendable () -> String
    /// A new source write key (32 base62 characters in a server).
    public var writeKey: @Sendable () -> String

    public init(now: @escaping @Sendable () -> Date, id: @escaping @Sendable () -> String, writeKey: @escaping @Sendable () -> String) {
        self.now = { Self.toTheMillisecond(now()) }
        self.id = id
        self.writeKey = writeKey
    }

    /// The system clock and ``Identifier``'s cryptographic ids.
    public static let system = Minting(now: { Date() }, id: { Identifier.make() }, writeKey: { Identifier.writeKey() })

    /// A deterministic source: the clock starts at `start` and moves on by `step` seconds at each reading; ids are
    /// `id` and a 20-digit count (22 characters, as Segment's), write keys `wk` and a 30-digit count (32 characters).
    public static func sequential(start: Date = Date(timeIntervalSince1970: 1_767_225_600), step: TimeInterval = 1) -> Minting {
        let readings = Counter()
        let ids = Counter()
        let keys = Counter()
        return Minting(
            now: { start.addingTimeInterval(step * Double(readings.next() - 1)) },
            id: { "id" + Self.digits(ids.next(), width: 20) },
            writeKey: { "wk" + Self.digits(keys.next(), width: 30) })
    }

    private final class Counter: Sendable {
        private let count = Mutex(0)

        /// 1, 2, 3, ...
        func next() -> Int {
            count.withLock { value in
                value += 1
                return value
            }
        }
    }

    private static func digits(_ n: Int, width: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(width - text.count, 0)) + text
    }

    /// An audit event with a new id, stamped now.
    public func audit(_ type: String, actor: String, id resourceID: String, resourceType: String, name: String) -> AuditEvent {
        AuditEvent(id: id(), timestamp: now(), type: type, actor: actor, resourceID: resourceID, resourceType: resourceType, resourceName: name)
    }

    /// `date` rounded to the millisecond.
    static func toTheMillisecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// A use case's result: the new or changed resource and the audit events its transaction records.
public struct Change<Resource: Sendable>: Sendable {
    public var resource: Resource
    public var audit: [AuditEvent]

    public init(_ resource: Resource, audit: [AuditEvent]) {
        self.resource = resource
        self.audit = audit
    }

    /// The pair a store's update closure returns.
    public var pair: (Resource, [AuditEvent]) { (resource, audit) }
}
