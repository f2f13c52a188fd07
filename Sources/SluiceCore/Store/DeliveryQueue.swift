import Foundation

/// An event accepted by the Tracking API, normalized, waiting to be routed.
public struct IncomingEvent: Sendable, Equatable {
    public var sourceID: String
    public var messageID: String
    public var receivedAt: Date
    /// The normalized event as JSON bytes.
    public var body: [UInt8]

    public init(sourceID: String, messageID: String, receivedAt: Date, body: [UInt8]) {
        self.sourceID = sourceID
        self.messageID = messageID
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// A stored event not yet routed, with its position in the log.
public struct PendingEvent: Sendable, Equatable {
    public var seq: Int64
    public var event: IncomingEvent

    public init(seq: Int64, event: IncomingEvent) {
        self.seq = seq
        self.event = event
    }
}

/// One event to deliver through one subscription of one destination.
public struct DeliveryJob: Sendable, Equatable {
    public var id: Int64
    public var sourceID: String
    public var destinationID: String
    public var subscriptionID: String
    public var messageID: String
    public var receivedAt: Date
    /// Attempts made so far.
    public var attempts: Int
    public var nextAttemptAt: Date
    public var body: [UInt8]

    public init(
        id: Int64, sourceID: String, destinationID: String, subscriptionID: String, messageID: String, receivedAt: Date, attempts: Int,
        nextAttemptAt: Date, body: [UInt8]
    ) {
        self.id = id
        self.sourceID = sourceID
        self.destinationID = destinationID
        self.subscriptionID = subscriptionID
        self.messageID = messageID
        self.receivedAt = receivedAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.body = body
    }
}

/// A job the router creates for an event (its id is assigned by the store).
public struct NewDeliveryJob: Sendable, Equatable {
    /// The pending event's position in the log (``PendingEvent/seq``): the job is created only if
    /// this routing consumes that event, so an event is never routed twice.
    public var eventSeq: Int64
    public var destinationID: String
    public var subscriptionID: String
    public var event: IncomingEvent

    public init(eventSeq: Int64, destinationID: String, subscriptionID: String, event: IncomingEvent) {
        self.eventSeq = eventSeq
        self.destinationID = destinationID
        self.subscriptionID = subscriptionID
        self.event = event
    }
}

/// Events routed as they were accepted (``DeliveryQueue/appendRoutedEvents(_:routing:refused:)``): their jobs and
/// what was kept from destinations, worked out under one ``DeliveryQueue/routingVersion()``. An event is identified
/// by its index in the accepted batch (``NewDeliveryJob/eventSeq``, ``FilteredEvent/eventSeq``).
public struct IngestRouting: Sendable {
    public var version: Int64
    public var jobs: [NewDeliveryJob]
    public var filtered: [FilteredEvent]

    public init(version: Int64, jobs: [NewDeliveryJob], filtered: [FilteredEvent]) {
        self.version = version
        self.jobs = jobs
        self.filtered = filtered
    }
}

/// What to do with a job after an attempt.
public enum JobCompletion: Sendable, Equatable {
    /// Delivered, discarded or expired: the job is done.
    case finished(jobID: Int64)
    /// Try again at `nextAttemptAt`, after `attempts` attempts.
    case retry(jobID: Int64, attempts: Int, nextAttemptAt: Date)
    /// Delivery gave up: the job is done and its event is kept as a ``FailedEvent`` (when its destination still exists).
    case failed(jobID: Int64, status: FailedEventStatus, reason: String, attempts: Int, at: Date)

    /// The job it completes.
    public var jobID: Int64 {
        switch self {
        case .finished(let id), .retry(let id, _, _), .failed(let id, _, _, _, _): id
        }
    }
}

/// Counters to add to a (source, destination, minute) record.
public struct MetricsDelta: Sendable, Equatable {
    public var sourceID: String
    public var destinationID: String
    public var minute: Int64
    public var counters: DeliveryCounters

    public init(sourceID: String, destinationID: String, minute: Int64, counters: DeliveryCounters) {
        self.sourceID = sourceID
        self.destinationID = destinationID
        self.minute = minute
        self.counters = counters
    }
}

/// Where accepted events are committed: what ``DeliveryQueue`` offers ``EventWriter``, the one writer of events.
public protocol IngestQueue: Sendable {
    /// Commits events and adds their received counts (``SourceEventCount/received(_:)``) and the refusals
    /// `refused` to the Delivery Overview's per-minute source counts, in one transaction. Nothing to commit and
    /// nothing refused writes nothing.
    func appendEvents(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws
    /// Commits accepted events already routed: their jobs, what was kept from destinations, and the Delivery
    /// Overview's counts of received and refused events, in one transaction; the events never wait to be routed.
    ///
    /// - Throws: ``RoutesChanged`` when the routing version is no longer `routing.version` (nothing is
    ///   written: the caller routes again or commits the events unrouted); the store's errors.
    func appendRoutedEvents(_ events: [IncomingEvent], routing: IngestRouting, refused: [SourceEventCount]) async throws
}

/// The routes an ``IngestRouting`` was worked out under changed before its commit
/// (``IngestQueue/appendRoutedEvents(_:routing:refused:)``): nothing was written.
public struct RoutesChanged: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}

    public var description: String { "the routes changed while they were worked out" }
}

/// The store as the delivery pipeline's queue: the event log, the jobs, and the outcome counters.
///
/// Events are committed by ``appendEvents(_:)`` before the Tracking API answers. The router
/// turns them into jobs and deletes them in one transaction (``route(consumed:jobs:)``), so an
/// event is routed exactly once even across a crash, and even when several processes route from
/// one database (a job is inserted only for an event that this transaction deleted). Workers lease due jobs
/// (``claimJobs(now:limit:lease:)``) and record each attempt's result and counters together
/// (``complete(_:metrics:log:)``): delivery is at least once.
public protocol DeliveryQueue: IngestQueue {
    /// The oldest events not yet routed. An engine shared by several processes hands each event to
    /// one caller at a time (a short claim), so routers do not do the same work twice.
    func pendingEvents(limit: Int) async throws -> [PendingEvent]
    /// Deletes the consumed events and inserts the jobs of those it deleted (a job whose
    /// ``NewDeliveryJob/eventSeq`` is gone already is dropped), in one transaction.
    func route(consumed: [Int64], jobs: [NewDeliveryJob]) async throws
    /// ``route(consumed:jobs:)``, also adding the counts of events destination filters kept from their destinations,
    /// in the same transaction (counted once, like the jobs).
    func route(consumed: [Int64], jobs: [NewDeliveryJob], filtered: [FilteredEvent]) async throws
    /// A number that moves with every write of what routing reads (a source, a destination or its filters, a
    /// subscription, made, changed or deleted), so that routes worked out under it hold while it stays; `nil` when
    /// the store keeps none, and events are then routed only after they are committed (``pendingEvents(limit:)``).
    func routingVersion() async throws -> Int64?
    /// Events filtered from a destination of a source in the minutes `minutes`, by reason.
    func filteredCounts(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> [String: Int64]
    /// Leases up to `limit` jobs due at `now` that no live lease holds, for `lease`. Jobs of a paused destination
    /// wait, as do those of a destination held (``DestinationDeliveryState/heldUntil``); a rate-limited destination
    /// gives at most what its bucket holds (``RateBucket``), and a failing one a single probe, held for `lease` until its
    /// result is in.
    func claimJobs(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob]
    /// Applies completions, adds metrics, appends the attempts to the event log (``EventLogStore``) and applies the
    /// attempts' health (``DeliveryHealthReport/apply(_:to:)``, recording each change's audit event), in one
    /// transaction; log entries and health of a destination that no longer exists are left out. Returns the changes.
    func complete(
        _ completions: [JobCompletion], metrics: [MetricsDelta], log: [DeliveryAttempt], health: DeliveryHealthReport
    ) async throws -> [DeliveryHealthChange]
    /// Called when a process starts delivering. A single-process engine ends every lease (the
    /// process starting up owns every job); an engine shared by several processes leaves leases
    /// to expire, since they may belong to processes still running.
    func releaseLeases() async throws
    /// The time the next job falls due, if any: jobs of a paused destination are not due, and a held destination's
    /// are due when its hold ends.
    func nextDueTime() async throws -> Date?
    /// What stands between a destination and its next delivery (a Sluice extension, issue 17): its pause, rate limit,
    /// hold and breaker. A paused destination's jobs stay queued: ``claimJobs(now:limit:lease:)`` and ``nextDueTime()``
    /// pass them over.
    func deliveryState(destinationID: String) async throws -> DestinationDeliveryState
    /// Sets (`eventsPerSecond` > 0) or removes (`nil`) an existing destination's rate limit, recording `audit` in the
    /// same transaction, only when that changes it; returns whether it did. A new limit starts with a full bucket.
    func setDeliveryRateLimit(destinationID: String, eventsPerSecond: Double?, at now: Date, audit: [AuditEvent]) async throws -> Bool
    /// How many destinations are marked failing.
    func failingDestinationCount() async throws -> Int
    /// Pauses delivery to an existing destination (`pausedAt` a time) or resumes it (`nil`), recording `audit` in the
    /// same transaction, only when that changes something; returns whether it did. Pausing a paused destination keeps
    /// its first time; a destination that does not exist changes nothing. Deleting a destination ends its pause.
    func setDeliveryPaused(destinationID: String, at pausedAt: Date?, audit: [AuditEvent]) async throws -> Bool
    /// Events not yet routed, and jobs waiting.
    func queueDepth() async throws -> (events: Int, jobs: Int)
    /// The span of the events not yet routed, from the oldest to the newest (both included; 0 when there are none):
    /// read from the two ends of the queue's index, so it costs the same at any depth. It counts an event routed
    /// ahead of older ones (another process's router) and a sequence number never used as still waiting, so it is
    /// an upper bound, exact when routing goes in order. Ingest's back-pressure reads it (``queueDepth()`` counts
    /// every row).
    func pendingEventSpan() async throws -> Int
    /// The counters of a source and destination for the minutes in `minutes`, merged.
    func deliveryCounters(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> DeliveryCounters
    /// The per-minute counts behind one Delivery Overview step, for the minutes in `minutes`, unsorted:
    /// - ``DeliveryOverviewStep/successfullyReceived``, ``DeliveryOverviewStep/failedOnIngest``: the source counts of
    ///   ``appendEvents(_:refused:)`` (`destinationID` unused);
    /// - ``DeliveryOverviewStep/filteredAtSource``: the source's filtered counts recorded with no destination (an
    ///   empty ``FilteredEvent/destinationID``);
    /// - ``DeliveryOverviewStep/filteredAtDestination``: the filtered counts of the destination;
    /// - ``DeliveryOverviewStep/successfulDelivery``: the destination's delivery counters' successes (`retryCount`:
    ///   successes after a retry); ``DeliveryOverviewStep/failedDelivery``: their discards (reason
    ///   ``DiscardReason/discarded``) and expiries (``DiscardReason/expired``), zeros left out.
    func overviewCounts(
        step: DeliveryOverviewStep, sourceID: String, destinationID: String?, minutes: Range<Int64>
    ) async throws
        -> [DeliveryOverviewCount]
}

extension DeliveryQueue {
    /// A store that keeps no routing version (PostgreSQL, whose other processes write too) routes after ingest.
    public func routingVersion() async throws -> Int64? { nil }

    public func appendRoutedEvents(_ events: [IncomingEvent], routing: IngestRouting, refused: [SourceEventCount]) async throws {
        // Not reached: events are routed at ingest only under a version, and this store keeps none, so no routes hold.
        throw RoutesChanged()
    }

    /// Commits events (one transaction), with no refusals to count.
    public func appendEvents(_ events: [IncomingEvent]) async throws {
        try await appendEvents(events, refused: [])
    }

    public func route(consumed: [Int64], jobs: [NewDeliveryJob]) async throws {
        try await route(consumed: consumed, jobs: jobs, filtered: [])
    }

    /// Applies completions and adds metrics, in one transaction, logging nothing.
    public func complete(_ completions: [JobCompletion], metrics: [MetricsDelta]) async throws {
        try await complete(completions, metrics: metrics, log: [])
    }

    /// Applies completions, adds metrics and logs the attempts, in one transaction, reading no health.
    public func complete(_ completions: [JobCompletion], metrics: [MetricsDelta], log: [DeliveryAttempt]) async throws {
        _ = try await complete(completions, metrics: metrics, log: log, health: .none)
    }

    /// When delivery to the destination was paused, or `nil` when it is not paused.
    public func deliveryPausedAt(destinationID: String) async throws -> Date? {
        try await deliveryState(destinationID: destinationID).pausedAt
    }
}
