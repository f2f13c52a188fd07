import Foundation

/// What became of one delivery attempt, as the event log shows it: the worker's decision after it.
public enum DeliveryAttemptStatus: String, Sendable, CaseIterable {
    /// The receiver took it.
    case delivered = "DELIVERED"
    /// It failed and will be tried again.
    case retrying = "RETRYING"
    /// It failed for good: the receiver refused it, or it had nowhere to go.
    case discarded = "DISCARDED"
    /// It failed and the retry window closed (or had closed before this attempt could be made).
    case expired = "EXPIRED"
}

/// The request an attempt sent, as the event log keeps it. Headers are never kept (they carry credentials); values of
/// the destination's secret settings are replaced by `[redacted]` in the URL, the body and the response.
public struct LoggedRequest: Sendable, Equatable {
    /// A key shared by the entries of every event one request carried (a batch); the body is kept once, on the first.
    public var key: String
    public var method: String
    public var url: String
    /// How many events the request carried.
    public var events: Int
    /// The body, at most ``EventLogSettings/maxBodyBytes``; `nil` when bodies are not kept (`--event-log-bodies off`),
    /// or on the entries of a batch's other events.
    public var body: [UInt8]?
    /// Whether ``body`` was cut at ``EventLogSettings/maxBodyBytes``.
    public var bodyTruncated: Bool
    /// The receiver's status, or `nil` when no answer came.
    public var status: Int?
    /// The start of the receiver's answer, at most ``EventLogSettings/maxResponseBytes``; `nil` when bodies are not kept.
    public var response: [UInt8]?
    /// From sending the request to having its answer (or giving up on it), in milliseconds.
    public var durationMillis: Int

    public init(
        key: String, method: String, url: String, events: Int, body: [UInt8]?, bodyTruncated: Bool, status: Int?, response: [UInt8]?,
        durationMillis: Int
    ) {
        self.key = key
        self.method = method
        self.url = url
        self.events = events
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.status = status
        self.response = response
        self.durationMillis = durationMillis
    }
}

/// One entry of a destination's event log (#17): one event's attempt through one subscription.
public struct DeliveryAttempt: Sendable, Equatable {
    /// Assigned by the store (0 before it is stored); newer entries have larger ids.
    public var id: Int64
    public var sourceID: String
    public var destinationID: String
    public var subscriptionID: String
    public var messageID: String
    /// The event's `type` (`track`, `identify`, ...).
    public var eventType: String
    /// A track's `event`, a page's or screen's `name`; `nil` for the others.
    public var eventName: String?
    public var userID: String?
    public var anonymousID: String?
    /// 1 for the first attempt; an event whose window closed before its next attempt is logged with the attempts made.
    public var attempt: Int
    public var attemptedAt: Date
    public var status: DeliveryAttemptStatus
    /// The outcome's reason (`HTTP 200`, `timed out`), as ``DeliveryOutcome/reason`` words it.
    public var reason: String
    /// The request that carried the event, or `nil` when none was sent (settings that make no request, a destination
    /// gone, a window that closed before the attempt).
    public var request: LoggedRequest?

    public init(
        id: Int64 = 0, sourceID: String, destinationID: String, subscriptionID: String, messageID: String, eventType: String,
        eventName: String?, userID: String?, anonymousID: String?, attempt: Int, attemptedAt: Date, status: DeliveryAttemptStatus,
        reason: String, request: LoggedRequest?
    ) {
        self.id = id
        self.sourceID = sourceID
        self.destinationID = destinationID
        self.subscriptionID = subscriptionID
        self.messageID = messageID
        self.eventType = eventType
        self.eventName = eventName
        self.userID = userID
        self.anonymousID = anonymousID
        self.attempt = attempt
        self.attemptedAt = attemptedAt
        self.status = status
        self.reason = reason
        self.request = request
    }
}

/// Which entries of one destination's event log a listing takes; `nil` members do not narrow. `startTime` and
/// `endTime` bound ``DeliveryAttempt/attemptedAt`` (both included).
public struct DeliveryAttemptFilter: Sendable, Equatable {
    public var destinationID: String
    public var messageID: String?
    public var userID: String?
    public var anonymousID: String?
    public var subscriptionID: String?
    public var status: DeliveryAttemptStatus?
    public var startTime: Date?
    public var endTime: Date?

    public init(
        destinationID: String, messageID: String? = nil, userID: String? = nil, anonymousID: String? = nil, subscriptionID: String? = nil,
        status: DeliveryAttemptStatus? = nil, startTime: Date? = nil, endTime: Date? = nil
    ) {
        self.destinationID = destinationID
        self.messageID = messageID
        self.userID = userID
        self.anonymousID = anonymousID
        self.subscriptionID = subscriptionID
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
    }
}

/// How much the event log keeps (`--event-log-*`).
public struct EventLogSettings: Sendable, Equatable {
    /// The most bytes of a request body kept.
    public static let maxBodyBytes = 16_384
    /// The most bytes of a response kept.
    public static let maxResponseBytes = 1_024

    /// Whether attempts are logged at all (`--event-log off`).
    public var enabled: Bool
    /// How long entries are kept (`--event-log-retention`, default 24 hours).
    public var retention: Duration
    /// The most entries kept per destination (`--event-log-max-entries`, default 10,000); the oldest go first.
    public var maxEntriesPerDestination: Int
    /// Whether request bodies and responses are kept (`--event-log-bodies`, default on); off keeps them out of the store
    /// for privacy (PII).
    public var keepBodies: Bool

    public init(enabled: Bool = true, retention: Duration = .seconds(86_400), maxEntriesPerDestination: Int = 10_000, keepBodies: Bool = true) {
        self.enabled = enabled
        self.retention = retention
        self.maxEntriesPerDestination = maxEntriesPerDestination
        self.keepBodies = keepBodies
    }
}

/// The event log of the store (#17): written by ``DeliveryQueue/complete(_:metrics:log:)`` in the transaction that
/// records the attempts' outcomes; entries of a destination that no longer exists are not kept.
public protocol EventLogStore: Sendable {
    /// The destination's entries matching `filter`, newest first; a batch's body is shown on each of its events.
    func deliveryAttempts(_ filter: DeliveryAttemptFilter, page: PageRequest) async throws -> Page<DeliveryAttempt>
    /// Forgets entries older than `cutoff`, and the oldest entries of each destination beyond its newest
    /// `keepPerDestination`; returns how many.
    func pruneDeliveryAttempts(before cutoff: Date, keepPerDestination: Int) async throws -> Int
}
