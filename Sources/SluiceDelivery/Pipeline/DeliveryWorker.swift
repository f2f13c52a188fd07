import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// Delivers due jobs through their destination's integration, and records what became of each.
///
/// Each loop leases a batch of due jobs, sends them (the jobs of one subscription together, as
/// its integration batches them), decides each outcome with the ``RetryPolicy`` (success,
/// retry later, discard, expire) and commits the completions with the metrics in one
/// transaction. Delivery is at least once: a crash between sending and committing sends again.
/// On graceful shutdown the attempts in flight finish and no new ones start.
public final class DeliveryWorker: Service {
    let store: any Store
    let integrations: IntegrationRegistry
    let sender: DeliverySender
    let policy: RetryPolicy
    let wake: PipelineSignal
    let stats: PipelineStats
    let logger: Logger
    let loops: Int
    let batchSize: Int
    let lease: Duration
    let eventLog: EventLogSettings
    let secretNames: @Sendable (String) -> SecretNames
    let breaker: BreakerSettings
    let idleWait: Duration
    let retryWait: Duration
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - eventLog: Whether and how attempts are written to the event log.
    ///   - secretNames: Which settings of a destination's catalog entry are secret (their values are redacted from
    ///     the event log); by default, by name alone.
    ///   - idleWait: how long a loop waits to be woken, when no job is due, before it looks again.
    ///   - retryWait: how long a loop waits after a failed store call before it tries again (less when shutdown begins).
    public init(
        store: any Store, integrations: IntegrationRegistry, sender: DeliverySender, policy: RetryPolicy, wake: PipelineSignal,
        stats: PipelineStats, logger: Logger, loops: Int = 4, batchSize: Int = 500, lease: Duration = .seconds(300),
        eventLog: EventLogSettings = EventLogSettings(), secretNames: @escaping @Sendable (String) -> SecretNames = { _ in SecretNames(options: []) },
        breaker: BreakerSettings = BreakerSettings(), idleWait: Duration = .seconds(1), retryWait: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.integrations = integrations
        self.sender = sender
        self.policy = policy
        self.wake = wake
        self.stats = stats
        self.logger = logger
        self.loops = loops
        self.batchSize = batchSize
        self.lease = lease
        self.eventLog = eventLog
        self.secretNames = secretNames
        self.breaker = breaker
        self.idleWait = idleWait
        self.retryWait = retryWait
        self.now = now
    }

    public func run() async throws {
        // A store that cannot be written now (read-only file, disk full, database down) must not stop
        // the server: the leases then simply run out, and the loops below retry on their own.
        do {
            try await store.releaseLeases()
        } catch {
            logger.error("could not release the leases of an earlier run; they will expire", metadata: ["error": "\(error)"])
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<loops {
                group.addTask { await self.loop() }
            }
        }
    }

    private func loop() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if try await deliverOnce() == 0 {
                    // Until the next job is due (at least 10 ms, at most a day so the conversion stays finite).
                    let untilDue = try await store.nextDueTime().map { Duration.seconds(min(max($0.timeIntervalSince(now()), 0.01), 86_400)) }
                    await wake.wait(timeout: min(idleWait, untilDue ?? idleWait))
                }
            } catch {
                logger.error("delivery failed; retrying", metadata: ["error": "\(error)", "in": "\(retryWait)"])
                await waitBeforeRetrying(retryWait)
            }
        }
    }

    /// The reason of an event that expired at pickup, with no attempt in its window.
    static let closedBeforeAttempt = "the retry window closed before the next attempt"

    /// Leases and delivers one batch of due jobs; returns how many it handled.
    @discardableResult
    public func deliverOnce() async throws -> Int {
        let jobs = try await store.claimJobs(now: now(), limit: batchSize, lease: lease)
        guard !jobs.isEmpty else { return 0 }
        stats.addInFlight(jobs.count)
        defer { stats.addInFlight(-jobs.count) }
        let bySubscription = Dictionary(grouping: jobs, by: \.subscriptionID)
        let destinationIDs = Array(Set(jobs.map(\.destinationID)))
        let subscriptions = Dictionary(
            try await store.subscriptions(destinationIDs: destinationIDs).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var destinations: [String: Destination] = [:]
        for id in destinationIDs { destinations[id] = try await store.destination(id: id) }

        let results = await withTaskGroup(of: [Attempted].self) { group in
            for (subscriptionID, group_jobs) in bySubscription {
                let subscription = subscriptions[subscriptionID]
                let destination = group_jobs.first.flatMap { destinations[$0.destinationID] }
                group.addTask { await self.deliver(group_jobs, subscription: subscription, destination: destination) }
            }
            var all: [Attempted] = []
            for await part in group { all += part }
            return all
        }

        var generator = SystemRandomNumberGenerator()
        var completions: [JobCompletion] = []
        var metrics: [String: MetricsDelta] = [:]
        var log: [DeliveryAttempt] = []
        var health: [String: DestinationAttempts] = [:]
        for result in results {
            Self.tally(result, into: &health)
            let (job, outcome, finishedAt) = (result.job, result.outcome, result.finishedAt)
            let attempt = outcome == nil ? 0 : job.attempts + 1
            let decision: DeliveryDecision
            if let outcome {
                decision = policy.decide(outcome, attempt: attempt, receivedAt: job.receivedAt, now: finishedAt, using: &generator)
            } else {
                decision = DeliveryDecision(disposition: policy.isExpired(receivedAt: job.receivedAt, now: finishedAt) ? .expired : .discarded)
            }
            switch decision.disposition {
            case .retried: completions.append(.retry(jobID: job.id, attempts: attempt, nextAttemptAt: decision.nextAttemptAt ?? finishedAt))
            case .discarded, .expired:
                // Kept as a failed event, with the last attempt's reason, for replay.
                completions.append(
                    .failed(
                        jobID: job.id, status: decision.disposition == .expired ? .expired : .discarded,
                        reason: outcome?.reason ?? Self.closedBeforeAttempt, attempts: job.attempts + (outcome == nil ? 0 : 1),
                        at: finishedAt))
            default: completions.append(.finished(jobID: job.id))
            }
            stats.record(decision.disposition)
            if eventLog.enabled { log.append(Self.logEntry(result, attempt: outcome == nil ? job.attempts : attempt, decision: decision)) }
            let minute = DeliveryCounters.epochMinute(of: finishedAt)
            let key = "\(job.sourceID)/\(job.destinationID)/\(minute)"
            var delta =
                metrics[key] ?? MetricsDelta(sourceID: job.sourceID, destinationID: job.destinationID, minute: minute, counters: DeliveryCounters())
            delta.counters.record(decision.disposition, attempt: attempt, receivedAt: job.receivedAt, finishedAt: finishedAt)
            metrics[key] = delta
        }
        let report = DeliveryHealthReport(
            destinations: health.values.sorted { $0.destinationID < $1.destinationID }, breaker: breaker, names: destinations.mapValues(\.name))
        let changes = try await store.complete(completions, metrics: Array(metrics.values), log: log, health: report)
        for change in changes {
            stats.record(change.kind)
            switch change.kind {
            case .markedFailing:
                logger.warning(
                    "destination marked failing: every attempt failed for \(breaker.failingAfter); deliveries wait for a probe to succeed",
                    metadata: ["destination": "\(change.destinationID)"])
            case .recovered:
                logger.notice("destination recovered: an attempt succeeded", metadata: ["destination": "\(change.destinationID)"])
            }
        }
        return jobs.count
    }

    /// Adds an attempt to its destination's tally for the breaker and the vendor's slow-down; jobs not attempted
    /// (expired, or nowhere to send) count for nothing.
    static func tally(_ result: Attempted, into health: inout [String: DestinationAttempts]) {
        let id = result.job.destinationID
        var attempts =
            health[id]
            ?? DestinationAttempts(destinationID: id, succeeded: 0, failed: 0, startedAt: result.startedAt, finishedAt: result.finishedAt)
        attempts.startedAt = min(attempts.startedAt, result.startedAt)
        attempts.finishedAt = max(attempts.finishedAt, result.finishedAt)
        if result.attempted, let outcome = result.outcome {
            switch outcome {
            case .success: attempts.succeeded += 1
            case .retryableAfter(_, let seconds):
                attempts.failed += 1
                // As asked: the store caps the hold at a day (`DeliveryHealthReport.apply`); a parsed `Retry-After` is
                // at most 12 digits of seconds, which a `Date` and the store's milliseconds hold.
                let until = result.finishedAt.addingTimeInterval(max(seconds, 0))
                attempts.retryAfterUntil = max(attempts.retryAfterUntil ?? until, until)
            case .retryable, .discarded: attempts.failed += 1
            }
        }
        health[id] = attempts
    }

    /// One job's attempt: its outcome (`nil` when no attempt was made: expired, or nowhere to send), when it started
    /// and ended, and the request that carried it (for the event log).
    struct Attempted {
        var job: DeliveryJob
        var outcome: DeliveryOutcome?
        var startedAt: Date
        var finishedAt: Date
        var event: JSONValue?
        var request: LoggedRequest?
        /// Whether the integration tried it (not expired, and a subscription and destination to send to).
        var attempted = false
    }

    /// A stored event parsed: only `members` of it, or the whole of it when `nil`; bytes that are not JSON read as `null`.
    static func parse(_ body: [UInt8], members: JSONMemberNames?) -> JSONValue {
        do {
            if let members { return try JSONValue.parse(body, members: members) }
            return try JSONValue.parse(body)
        } catch {
            return .null
        }
    }

    /// The members of an event that its event log entry records (``logEntry(_:attempt:decision:)``).
    static let loggedMembers: Set<String> = ["type", "event", "name", "userId", "anonymousId"]

    static func logEntry(_ result: Attempted, attempt: Int, decision: DeliveryDecision) -> DeliveryAttempt {
        let job = result.job
        let event = result.event ?? parse(job.body, members: nil)
        let type = event["type"]?.stringValue ?? ""
        let status: DeliveryAttemptStatus =
            switch decision.disposition {
            case .retried: .retrying
            case .discarded: .discarded
            case .expired: .expired
            case .succeeded: .delivered
            }
        return DeliveryAttempt(
            sourceID: job.sourceID, destinationID: job.destinationID, subscriptionID: job.subscriptionID, messageID: job.messageID,
            eventType: type, eventName: (type == "track" ? event["event"] : event["name"])?.stringValue,
            userID: event["userId"]?.stringValue, anonymousID: event["anonymousId"]?.stringValue, attempt: attempt,
            attemptedAt: result.startedAt, status: status, reason: result.outcome?.reason ?? Self.closedBeforeAttempt,
            request: result.request)
    }

    /// Sends one subscription's jobs; an outcome of `nil` means no attempt was made (expired, or nowhere to send).
    private func deliver(_ jobs: [DeliveryJob], subscription: Subscription?, destination: Destination?) async -> [Attempted] {
        let start = now()
        var results: [Attempted] = []
        var live: [DeliveryJob] = []
        for job in jobs {
            if policy.isExpired(receivedAt: job.receivedAt, now: start) {
                results.append(Attempted(job: job, startedAt: start, finishedAt: start))
            } else {
                live.append(job)
            }
        }
        guard !live.isEmpty else { return results }
        guard let subscription, subscription.enabled, let destination, destination.enabled,
            let integration = integrations.integration(for: destination.metadataID)
        else {
            // The subscription or destination went away or was disabled after routing: nothing to send to.
            let gone = DeliveryOutcome.discarded(reason: "subscription or destination no longer takes events")
            return results + live.map { Attempted(job: $0, outcome: gone, startedAt: start, finishedAt: start) }
        }
        let target = DeliveryTarget(
            actionSlug: subscription.actionSlug, subscriptionSettings: subscription.settings, destinationSettings: destination.settings)
        // The integration groups events into requests (batches) and sends them concurrently itself. It is given each
        // event parsed for what it reads (and the event log records), and as stored.
        let members = integration.eventMembers(for: target).map { JSONMemberNames(eventLog.enabled ? $0.union(Self.loggedMembers) : $0) }
        let events = live.map { DeliveryEvent(stored: $0.body, value: Self.parse($0.body, members: members)) }
        var recorder: EventLogRecorder?
        if eventLog.enabled {
            let names = secretNames(destination.metadataID)
            recorder = EventLogRecorder(
                redactor: Redactor(settings: destination.settings, isSecret: names.contains), keepBodies: eventLog.keepBodies)
        }
        let outcomes = await integration.deliver(events, to: target, sender: recorder?.observing(sender) ?? sender)
        let finished = now()
        let requests = recorder?.requests(events: live.count) ?? []
        for (i, job) in live.enumerated() {
            results.append(
                Attempted(
                    job: job, outcome: i < outcomes.count ? outcomes[i] : DeliveryOutcome.retryable(reason: "no outcome"), startedAt: start,
                    finishedAt: finished, event: events[i].value, request: i < requests.count ? requests[i] : nil, attempted: true))
        }
        return results
    }
}
