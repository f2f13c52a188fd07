import Foundation

/// Why delivery of an event gave up: Delivery Overview's discard reasons for failed deliveries.
public enum FailedEventStatus: String, Sendable, CaseIterable {
    /// The receiver refused it (a 4xx other than 408 and 429, a redirect), or it had nowhere to go.
    case discarded = "DISCARDED"
    /// Every attempt within the retry window failed, or the window closed before the next one.
    case expired = "EXPIRED"
}

/// An event whose delivery gave up, kept for a while (`--failed-event-retention`) to be looked at and replayed (#17).
public struct FailedEvent: Sendable, Equatable {
    public var id: Int64
    public var sourceID: String
    public var destinationID: String
    public var subscriptionID: String
    public var messageID: String
    /// When the event was received (for a replayed event: when it was replayed).
    public var receivedAt: Date
    /// Attempts made, 0 when the window closed before the first.
    public var attempts: Int
    public var failedAt: Date
    public var status: FailedEventStatus
    /// The last attempt's reason (`HTTP 400`, `timed out`), as ``DeliveryOutcome/reason`` words it; never a payload or
    /// a secret.
    public var reason: String
    /// The event, as it was to be delivered.
    public var body: [UInt8]

    public init(
        id: Int64, sourceID: String, destinationID: String, subscriptionID: String, messageID: String, receivedAt: Date, attempts: Int,
        failedAt: Date, status: FailedEventStatus, reason: String, body: [UInt8]
    ) {
        self.id = id
        self.sourceID = sourceID
        self.destinationID = destinationID
        self.subscriptionID = subscriptionID
        self.messageID = messageID
        self.receivedAt = receivedAt
        self.attempts = attempts
        self.failedAt = failedAt
        self.status = status
        self.reason = reason
        self.body = body
    }
}

/// Which failed events a listing or a replay takes; `nil` members do not narrow. `startTime` and `endTime` bound
/// ``FailedEvent/failedAt`` (both included).
public struct FailedEventFilter: Sendable, Equatable {
    public var ids: [Int64]?
    public var destinationID: String?
    public var subscriptionID: String?
    public var messageID: String?
    public var status: FailedEventStatus?
    public var startTime: Date?
    public var endTime: Date?

    public init(
        ids: [Int64]? = nil, destinationID: String? = nil, subscriptionID: String? = nil, messageID: String? = nil,
        status: FailedEventStatus? = nil, startTime: Date? = nil, endTime: Date? = nil
    ) {
        self.ids = ids
        self.destinationID = destinationID
        self.subscriptionID = subscriptionID
        self.messageID = messageID
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
    }
}

/// The failed events of the store (#17): written by ``DeliveryQueue/complete(_:metrics:log:)`` for
/// ``JobCompletion/failed(jobID:status:reason:attempts:at:)``, in the same transaction that ends the job.
public protocol FailedEventStore: Sendable {
    /// Failed events matching `filter`, newest first.
    func failedEvents(_ filter: FailedEventFilter, page: PageRequest) async throws -> Page<FailedEvent>
    /// Moves the failed events matching `filter` back into delivery, in one transaction: each becomes a new job
    /// (no attempts yet, due at `now`, received at `now` so that it gets a whole retry window) with its message id and
    /// body, and leaves the failed events. `audit` gets the number replayed per destination id and its events are
    /// recorded in the same transaction. Returns how many were replayed.
    func replayFailedEvents(
        _ filter: FailedEventFilter, at now: Date, audit: @escaping @Sendable ([String: Int]) -> [AuditEvent]
    ) async throws -> Int
    /// Forgets failed events that failed before `cutoff`; returns how many.
    func deleteFailedEvents(before cutoff: Date) async throws -> Int
}
