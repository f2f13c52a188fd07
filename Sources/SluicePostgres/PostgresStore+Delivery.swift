import Foundation
import NIOCore
import PostgresNIO
import SluiceCore

// The delivery queue on PostgreSQL, shared by every process on the database: events and jobs are
// taken with `FOR UPDATE SKIP LOCKED` under a time-limited claim, so each is worked on by one
// process at a time, and a process that dies leaves its share to the others when the claim ends.

extension PostgresStore {
    public func appendEvents(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws {
        guard !events.isEmpty || !refused.isEmpty else { return }
        try await transaction { conn in
            if !events.isEmpty {
                try await conn.query(
                    """
                    INSERT INTO events (source_id, message_id, received_at, body)
                    SELECT * FROM unnest(\(events.map(\.sourceID))::text[], \(events.map(\.messageID))::text[],
                                         \(events.map { Self.millis($0.receivedAt) })::int8[],
                                         \(events.map { ByteBuffer(bytes: $0.body) })::bytea[])
                    """, logger: self.logger)
            }
            // One row per (source, minute, stage, reason) of the whole group commit, not one per event.
            let counts = SourceEventCount.merged(SourceEventCount.received(events) + refused)
            try await conn.query(
                """
                INSERT INTO source_event_counts (source_id, minute, stage, reason, count)
                SELECT * FROM unnest(\(counts.map(\.sourceID))::text[], \(counts.map(\.minute))::int8[],
                                     \(counts.map(\.stage.rawValue))::text[], \(counts.map(\.reason))::text[], \(counts.map(\.count))::int8[])
                ON CONFLICT (source_id, minute, stage, reason) DO UPDATE SET count = source_event_counts.count + excluded.count
                """, logger: self.logger)
        }
    }

    public func pendingEvents(limit: Int) async throws -> [PendingEvent] {
        let now = Self.millis(.now)
        let until = now + eventClaim
        return try await transaction { conn in
            try await self.rows(
                conn,
                """
                UPDATE events SET claimed_until = \(until)
                WHERE seq IN (
                    SELECT seq FROM events WHERE claimed_until IS NULL OR claimed_until < \(now)
                    ORDER BY seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING seq, source_id, message_id, received_at, body
                """
            ).map { row in
                let (seq, sourceID, messageID, receivedAt, body) = try row.decode((Int64, String, String, Int64, ByteBuffer).self)
                return PendingEvent(
                    seq: seq,
                    event: IncomingEvent(sourceID: sourceID, messageID: messageID, receivedAt: Self.date(receivedAt), body: Self.bytes(body)))
            }
            .sorted { $0.seq < $1.seq }
        }
    }

    public func route(consumed: [Int64], jobs: [NewDeliveryJob], filtered: [FilteredEvent]) async throws {
        guard !consumed.isEmpty else { return }
        try await transaction { conn in
            // Only the events this transaction deletes get jobs: another process may have routed some already.
            let deleted = Set(
                try await self.rows(conn, "DELETE FROM events WHERE seq = ANY(\(consumed)) RETURNING seq").map { try $0.decode(Int64.self) })
            let counts = filtered.counts(consumed: deleted)
            if !counts.isEmpty {
                try await conn.query(
                    """
                    INSERT INTO filtered_events (source_id, destination_id, minute, reason, count)
                    SELECT * FROM unnest(\(counts.map(\.sourceID))::text[], \(counts.map(\.destinationID))::text[],
                                         \(counts.map(\.minute))::int8[], \(counts.map(\.reason))::text[], \(counts.map(\.count))::int8[])
                    ON CONFLICT (source_id, destination_id, minute, reason)
                    DO UPDATE SET count = filtered_events.count + excluded.count
                    """, logger: self.logger)
            }
            let kept = jobs.filter { deleted.contains($0.eventSeq) }
            guard !kept.isEmpty else { return }
            try await conn.query(
                """
                INSERT INTO delivery_jobs (source_id, destination_id, subscription_id, message_id, received_at, attempts,
                                           next_attempt_at, body)
                SELECT source_id, destination_id, subscription_id, message_id, received_at, 0, received_at, body
                FROM unnest(\(kept.map(\.event.sourceID))::text[], \(kept.map(\.destinationID))::text[],
                            \(kept.map(\.subscriptionID))::text[], \(kept.map(\.event.messageID))::text[],
                            \(kept.map { Self.millis($0.event.receivedAt) })::int8[], \(kept.map { ByteBuffer(bytes: $0.event.body) })::bytea[])
                    AS j(source_id, destination_id, subscription_id, message_id, received_at, body)
                """, logger: self.logger)
        }
    }

    public func claimJobs(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob] {
        let nowMillis = Self.millis(now)
        let leaseUntil = nowMillis + lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000
        return try await transaction { conn in
            // Destinations with nothing in their way, as one query; then each rate-limited or failing one, for what its
            // bucket holds or for a single probe. Its state row is locked (skipped when another process holds it), so
            // every process takes from one bucket and one probe goes at a time.
            var jobs = try await self.claim(conn, now: nowMillis, leaseUntil: leaseUntil, limit: limit, destinationID: nil)
            let special = try await self.rows(
                conn,
                """
                SELECT destination_id, rate_limit, rate_tokens, rate_at, failing_since FROM destination_delivery_state
                WHERE hold_until <= \(nowMillis) AND (rate_limit IS NOT NULL OR failing_since IS NOT NULL)
                  AND destination_id NOT IN (SELECT destination_id FROM paused_destinations)
                ORDER BY destination_id FOR UPDATE SKIP LOCKED
                """)
            for row in special where jobs.count < limit {
                let (id, rate, tokens, rateAt, failingSince) = try row.decode((String, Double?, Double, Int64, Int64?).self)
                let bucket = rate.map { RateBucket(rate: $0, tokens: tokens, at: rateAt).refilled(at: nowMillis) }
                let allowance = min(failingSince != nil ? 1 : bucket?.allowance ?? 0, limit - jobs.count)
                guard allowance > 0 else { continue }
                let claimed = try await self.claim(conn, now: nowMillis, leaseUntil: leaseUntil, limit: allowance, destinationID: id)
                guard !claimed.isEmpty else { continue }
                jobs += claimed
                if failingSince != nil {
                    // One probe at a time: the next waits for this one's result (or its lease).
                    try await conn.query(
                        "UPDATE destination_delivery_state SET hold_until = \(leaseUntil) WHERE destination_id = \(id)", logger: self.logger)
                } else if let bucket {
                    let (taken, hold) = bucket.taking(claimed.count)
                    try await conn.query(
                        """
                        UPDATE destination_delivery_state SET rate_tokens = \(taken.tokens), rate_at = \(taken.at), hold_until = \(hold)
                        WHERE destination_id = \(id)
                        """, logger: self.logger)
                }
            }
            return jobs.sorted { $0.id < $1.id }
        }
    }

    /// Leases up to `limit` due jobs of `destinationID`, or when `nil` of the destinations nothing holds, limits or
    /// marks failing; paused destinations' are left out.
    private func claim(_ conn: PostgresConnection, now: Int64, leaseUntil: Int64, limit: Int, destinationID: String?) async throws -> [DeliveryJob] {
        let query: PostgresQuery
        if let destinationID {
            query = """
                UPDATE delivery_jobs SET lease_until = \(leaseUntil)
                WHERE id IN (
                    SELECT id FROM delivery_jobs
                    WHERE destination_id = \(destinationID) AND next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until < \(now))
                    ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, source_id, destination_id, subscription_id, message_id, received_at, attempts, next_attempt_at, body
                """
        } else {
            query = """
                UPDATE delivery_jobs SET lease_until = \(leaseUntil)
                WHERE id IN (
                    SELECT id FROM delivery_jobs
                    WHERE next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until < \(now))
                      AND destination_id NOT IN (SELECT destination_id FROM paused_destinations)
                      AND destination_id NOT IN (SELECT destination_id FROM destination_delivery_state
                                                 WHERE hold_until > \(now) OR rate_limit IS NOT NULL OR failing_since IS NOT NULL)
                    ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, source_id, destination_id, subscription_id, message_id, received_at, attempts, next_attempt_at, body
                """
        }
        return try await rows(conn, query).map { row in
            let (id, sourceID, destinationID, subscriptionID, messageID, receivedAt, attempts, nextAttemptAt, body) = try row.decode(
                (Int64, String, String, String, String, Int64, Int, Int64, ByteBuffer).self)
            return DeliveryJob(
                id: id, sourceID: sourceID, destinationID: destinationID, subscriptionID: subscriptionID, messageID: messageID,
                receivedAt: Self.date(receivedAt), attempts: attempts, nextAttemptAt: Self.date(nextAttemptAt), body: Self.bytes(body))
        }
    }

    public func complete(
        _ completions: [JobCompletion], metrics: [MetricsDelta], log: [DeliveryAttempt], health: DeliveryHealthReport
    ) async throws -> [DeliveryHealthChange] {
        guard !completions.isEmpty || !metrics.isEmpty || !log.isEmpty || !health.destinations.isEmpty else { return [] }
        let logRows = log.isEmpty ? nil : Self.logRecords(log)
        var finished: [Int64] = []
        var retryIDs: [Int64] = []
        var retryAttempts: [Int64] = []
        var retryAt: [Int64] = []
        var failed = FailedColumns()
        for completion in completions {
            switch completion {
            case .finished(let id): finished.append(id)
            case .retry(let id, let attempts, let next):
                retryIDs.append(id)
                retryAttempts.append(Int64(attempts))
                retryAt.append(Self.millis(next))
            case .failed(let id, let status, let reason, let attempts, let at):
                failed.append(id: id, status: status, reason: reason, attempts: attempts, at: Self.millis(at))
                finished.append(id)
            }
        }
        // One order for every process, so two adding to the same minutes cannot deadlock.
        let deltas = metrics.sorted { ($0.sourceID, $0.destinationID, $0.minute) < ($1.sourceID, $1.destinationID, $1.minute) }
        return try await transaction { [finished, retryIDs, retryAttempts, retryAt, failed] conn in
            if !failed.ids.isEmpty {
                // Kept only while its destination exists (a deleted destination's failed events go with it).
                try await conn.query(
                    """
                    INSERT INTO failed_events (source_id, destination_id, subscription_id, message_id, received_at, attempts, failed_at, status,
                                               reason, body)
                    SELECT j.source_id, j.destination_id, j.subscription_id, j.message_id, j.received_at, f.attempts, f.failed_at, f.status,
                           f.reason, j.body
                    FROM unnest(\(failed.ids)::int8[], \(failed.attempts)::int8[], \(failed.at)::int8[], \(failed.statuses)::text[],
                                \(failed.reasons)::text[]) AS f(id, attempts, failed_at, status, reason)
                    JOIN delivery_jobs j ON j.id = f.id
                    WHERE EXISTS (SELECT 1 FROM destinations d WHERE d.id = j.destination_id)
                    """, logger: self.logger)
            }
            if !finished.isEmpty {
                try await conn.query("DELETE FROM delivery_jobs WHERE id = ANY(\(finished))", logger: self.logger)
            }
            if !retryIDs.isEmpty {
                try await conn.query(
                    """
                    UPDATE delivery_jobs AS j SET attempts = r.attempts, next_attempt_at = r.next_attempt_at, lease_until = NULL
                    FROM unnest(\(retryIDs)::int8[], \(retryAttempts)::int8[], \(retryAt)::int8[]) AS r(id, attempts, next_attempt_at)
                    WHERE j.id = r.id
                    """, logger: self.logger)
            }
            for delta in deltas { try await self.addMetrics(delta, conn) }
            if let logRows { try await self.appendLog(logRows, conn) }
            return try await self.applyHealth(health, conn)
        }
    }

    /// Applies each destination's attempts to its stored health (its row locked, in one order for every process),
    /// writing only what changes.
    private func applyHealth(_ report: DeliveryHealthReport, _ conn: PostgresConnection) async throws -> [DeliveryHealthChange] {
        var changes: [DeliveryHealthChange] = []
        for attempts in report.destinations.sorted(by: { $0.destinationID < $1.destinationID }) {
            let health = try await rows(
                conn,
                """
                SELECT hold_until, failing_from, failing_since FROM destination_delivery_state
                WHERE destination_id = \(attempts.destinationID) FOR UPDATE
                """
            ).first.map {
                let (hold, from, since) = try $0.decode((Int64, Int64?, Int64?).self)
                return DeliveryHealthReport.Health(holdUntil: hold, failingFrom: from, failingSince: since)
            }
            let (next, change) = report.apply(attempts, to: health ?? DeliveryHealthReport.Health())
            guard next != health ?? DeliveryHealthReport.Health() else { continue }
            // Only for a destination that still exists.
            let written = try await rows(
                conn,
                """
                INSERT INTO destination_delivery_state (destination_id, hold_until, failing_from, failing_since)
                SELECT id, \(next.holdUntil), \(next.failingFrom), \(next.failingSince) FROM destinations WHERE id = \(attempts.destinationID)
                ON CONFLICT (destination_id) DO UPDATE SET
                    hold_until = excluded.hold_until, failing_from = excluded.failing_from, failing_since = excluded.failing_since
                RETURNING destination_id
                """)
            guard !written.isEmpty, let change else { continue }
            let made = DeliveryHealthChange(destinationID: attempts.destinationID, kind: change, at: attempts.finishedAt)
            try await Self.insertAudit([report.audit(made)], conn, logger: logger)
            changes.append(made)
        }
        return changes
    }

    private static let counterColumns =
        "successes_first, successes_retry, expired, discarded, retried, time_to_success, time_to_first_attempt"

    private static func counters(_ row: PostgresRow) throws -> DeliveryCounters {
        let (first, retry, expired, discarded, retried, success, firstAttempt) = try row.decode(
            (Int, Int, Int, Int, Int, ByteBuffer, ByteBuffer).self)
        return DeliveryCounters(
            successesOnFirstAttempt: Int64(first), successesAfterRetry: Int64(retry), expired: Int64(expired), discarded: Int64(discarded),
            retried: Int64(retried),
            timeToSuccess: try LatencyHistogram(serialized: bytes(success)), timeToFirstAttempt: try LatencyHistogram(serialized: bytes(firstAttempt))
        )
    }

    /// Adds a delta to its minute's row: the row is made if missing, then locked, merged and written.
    private func addMetrics(_ delta: MetricsDelta, _ conn: PostgresConnection) async throws {
        let empty = ByteBuffer(bytes: LatencyHistogram().serialized())
        try await conn.query(
            """
            INSERT INTO delivery_metrics (source_id, destination_id, minute, successes_first, successes_retry, expired, discarded,
                                          retried, time_to_success, time_to_first_attempt)
            VALUES (\(delta.sourceID), \(delta.destinationID), \(delta.minute), 0, 0, 0, 0, 0, \(empty), \(empty))
            ON CONFLICT (source_id, destination_id, minute) DO NOTHING
            """, logger: logger)
        guard
            let row = try await rows(
                conn,
                """
                SELECT \(unescaped: Self.counterColumns) FROM delivery_metrics
                WHERE source_id = \(delta.sourceID) AND destination_id = \(delta.destinationID) AND minute = \(delta.minute) FOR UPDATE
                """
            ).first
        else { return }
        var counters = try Self.counters(row)
        counters.merge(delta.counters)
        try await conn.query(
            """
            UPDATE delivery_metrics SET successes_first = \(counters.successesOnFirstAttempt),
                successes_retry = \(counters.successesAfterRetry), expired = \(counters.expired), discarded = \(counters.discarded),
                retried = \(counters.retried), time_to_success = \(ByteBuffer(bytes: counters.timeToSuccess.serialized())),
                time_to_first_attempt = \(ByteBuffer(bytes: counters.timeToFirstAttempt.serialized()))
            WHERE source_id = \(delta.sourceID) AND destination_id = \(delta.destinationID) AND minute = \(delta.minute)
            """, logger: logger)
    }

    /// Leases are left to expire: on a shared database they may belong to processes still running.
    public func releaseLeases() async throws {}

    public func nextDueTime() async throws -> Date? {
        try await read { conn in
            // The first due job of a destination nothing holds; a held destination's first job when its hold ends.
            try await self.rows(
                conn,
                """
                SELECT MIN(due) FROM (
                    SELECT MIN(next_attempt_at) AS due FROM delivery_jobs
                    WHERE lease_until IS NULL AND destination_id NOT IN (SELECT destination_id FROM paused_destinations)
                      AND destination_id NOT IN (SELECT destination_id FROM destination_delivery_state WHERE hold_until > 0)
                    UNION ALL
                    SELECT GREATEST(s.hold_until, f.first) FROM destination_delivery_state s
                    CROSS JOIN LATERAL (SELECT MIN(j.next_attempt_at) AS first FROM delivery_jobs j
                                        WHERE j.destination_id = s.destination_id AND j.lease_until IS NULL) f
                    WHERE s.hold_until > 0 AND f.first IS NOT NULL
                      AND s.destination_id NOT IN (SELECT destination_id FROM paused_destinations)) due_times
                """
            ).first?
            .decode(Int64?.self).map(Self.date)
        }
    }

    public func deliveryState(destinationID: String) async throws -> DestinationDeliveryState {
        try await read { conn in
            var state = DestinationDeliveryState(destinationID: destinationID)
            state.pausedAt = try await self.rows(conn, "SELECT paused_at FROM paused_destinations WHERE destination_id = \(destinationID)")
                .first.map { Self.date(try $0.decode(Int64.self)) }
            if let row = try await self.rows(
                conn,
                """
                SELECT rate_limit, hold_until, failing_from, failing_since FROM destination_delivery_state WHERE destination_id = \(destinationID)
                """
            ).first {
                let (rate, hold, from, since) = try row.decode((Double?, Int64, Int64?, Int64?).self)
                state.rateLimit = rate
                state.heldUntil = hold > 0 ? Self.date(hold) : nil
                state.failingFrom = from.map(Self.date)
                state.failingSince = since.map(Self.date)
            }
            return state
        }
    }

    public func setDeliveryRateLimit(destinationID: String, eventsPerSecond: Double?, at now: Date, audit: [AuditEvent]) async throws -> Bool {
        try await transaction { conn in
            let current = try await self.rows(
                conn, "SELECT rate_limit FROM destination_delivery_state WHERE destination_id = \(destinationID) FOR UPDATE"
            ).first.flatMap { try $0.decode(Double?.self) }
            guard current != eventsPerSecond else { return false }
            let written = try await self.rows(
                conn,
                """
                INSERT INTO destination_delivery_state (destination_id, rate_limit, rate_tokens, rate_at)
                SELECT id, \(eventsPerSecond), \(eventsPerSecond.map { max(1, $0) } ?? 0), \(Self.millis(now))
                FROM destinations WHERE id = \(destinationID)
                ON CONFLICT (destination_id) DO UPDATE SET
                    rate_limit = excluded.rate_limit, rate_tokens = excluded.rate_tokens, rate_at = excluded.rate_at,
                    hold_until = CASE WHEN destination_delivery_state.failing_since IS NULL THEN 0 ELSE destination_delivery_state.hold_until END
                RETURNING destination_id
                """)
            guard !written.isEmpty else { return false }
            try await Self.insertAudit(audit, conn, logger: self.logger)
            return true
        }
    }

    public func failingDestinationCount() async throws -> Int {
        try await read { conn in
            try await self.rows(conn, "SELECT COUNT(*) FROM destination_delivery_state WHERE failing_since IS NOT NULL").first?.decode(Int.self) ?? 0
        }
    }

    public func setDeliveryPaused(destinationID: String, at pausedAt: Date?, audit: [AuditEvent]) async throws -> Bool {
        try await transaction { conn in
            let changed: [PostgresRow]
            if let pausedAt {
                changed = try await self.rows(
                    conn,
                    """
                    INSERT INTO paused_destinations (destination_id, paused_at)
                    SELECT id, \(Self.millis(pausedAt)) FROM destinations WHERE id = \(destinationID)
                    ON CONFLICT (destination_id) DO NOTHING RETURNING destination_id
                    """)
            } else {
                changed = try await self.rows(
                    conn, "DELETE FROM paused_destinations WHERE destination_id = \(destinationID) RETURNING destination_id")
            }
            guard !changed.isEmpty else { return false }
            try await Self.insertAudit(audit, conn, logger: self.logger)
            return true
        }
    }

    public func pendingEventSpan() async throws -> Int {
        try await read { conn in
            let row = try await self.rows(conn, "SELECT MIN(seq), MAX(seq) FROM events").first
            guard let (first, last) = try row?.decode((Int64?, Int64?).self), let first, let last else { return 0 }
            return Int(last - first + 1)
        }
    }

    public func queueDepth() async throws -> (events: Int, jobs: Int) {
        try await read { conn in
            let row = try await self.rows(conn, "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM delivery_jobs)").first
            let (events, jobs) = try row?.decode((Int, Int).self) ?? (0, 0)
            return (events, jobs)
        }
    }

    public func deliveryCounters(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> DeliveryCounters {
        try await read { conn in
            DeliveryCounters.merged(
                try await self.rows(
                    conn,
                    """
                    SELECT \(unescaped: Self.counterColumns) FROM delivery_metrics
                    WHERE source_id = \(sourceID) AND destination_id = \(destinationID)
                      AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
                    """
                ).map(Self.counters))
        }
    }

    public func filteredCounts(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> [String: Int64] {
        try await read { conn in
            var counts: [String: Int64] = [:]
            for row in try await self.rows(
                conn,
                """
                SELECT reason, SUM(count)::int8 FROM filtered_events
                WHERE source_id = \(sourceID) AND destination_id = \(destinationID)
                  AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
                GROUP BY reason
                """)
            {
                let (reason, total) = try row.decode((String, Int64).self)
                counts[reason] = total
            }
            return counts
        }
    }

    public func overviewCounts(
        step: DeliveryOverviewStep, sourceID: String, destinationID: String?, minutes: Range<Int64>
    ) async throws
        -> [DeliveryOverviewCount]
    {
        let (low, high) = (minutes.lowerBound, minutes.upperBound)
        let destination = destinationID ?? ""
        return try await read { conn in
            switch step {
            case .successfullyReceived, .failedOnIngest:
                let stage = (step == .successfullyReceived ? SourceEventCount.Stage.received : .refused).rawValue
                return try await self.reasonCounts(
                    conn, table: "source_event_counts", column: "stage", equals: stage, sourceID: sourceID, minutes: minutes)
            case .filteredAtSource, .filteredAtDestination:
                let filteredFrom = step == .filteredAtSource ? "" : destination
                return try await self.reasonCounts(
                    conn, table: "filtered_events", column: "destination_id", equals: filteredFrom, sourceID: sourceID, minutes: minutes)
            case .successfulDelivery, .failedDelivery:
                return try await self.rows(
                    conn,
                    """
                    SELECT minute, successes_first, successes_retry, discarded, expired FROM delivery_metrics
                    WHERE source_id = \(sourceID) AND destination_id = \(destination) AND minute >= \(low) AND minute < \(high)
                    """
                ).flatMap { row -> [DeliveryOverviewCount] in
                    let (minute, first, retry, discarded, expired) = try row.decode((Int64, Int64, Int64, Int64, Int64).self)
                    return DeliveryOverviewCount.delivery(
                        step: step, minute: minute, successesOnFirstAttempt: first, successesAfterRetry: retry, discarded: discarded,
                        expired: expired)
                }
            }
        }
    }

    /// A source's counts per minute and reason from a table of them, where `column` equals `value`. The table and the
    /// column are literals of Sluice's own (names cannot be bound); every value is bound.
    private func reasonCounts(
        _ conn: PostgresConnection, table: StaticString, column: StaticString, equals value: String, sourceID: String, minutes: Range<Int64>
    ) async throws -> [DeliveryOverviewCount] {
        try await rows(
            conn,
            """
            SELECT minute, reason, count FROM \(unescaped: table.description)
            WHERE source_id = \(sourceID) AND \(unescaped: column.description) = \(value)
              AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
            """
        ).map { row in
            let (minute, reason, count) = try row.decode((Int64, String, Int64).self)
            return DeliveryOverviewCount(minute: minute, reason: reason, count: count)
        }
    }
}

// MARK: - Failed events

extension PostgresStore {
    /// The columns of failed completions, for one `unnest`.
    struct FailedColumns: Sendable {
        var ids: [Int64] = []
        var statuses: [String] = []
        var reasons: [String] = []
        var attempts: [Int64] = []
        var at: [Int64] = []

        mutating func append(id: Int64, status: FailedEventStatus, reason: String, attempts: Int, at: Int64) {
            ids.append(id)
            statuses.append(status.rawValue)
            reasons.append(reason)
            self.attempts.append(Int64(attempts))
            self.at.append(at)
        }
    }

    /// `head`, the filter's conditions (a `nil` member binds NULL and switches its condition off), then `tail`.
    /// `head` and `tail` are constants of this file, or whole numbers.
    private static func failedEventsQuery(_ head: String, _ f: FailedEventFilter, _ tail: String) -> PostgresQuery {
        let start = f.startTime.map(Self.millis)
        let end = f.endTime.map(Self.millis)
        let status = f.status?.rawValue
        return """
            \(unescaped: head) WHERE (\(f.ids)::int8[] IS NULL OR id = ANY(\(f.ids)))
              AND (\(f.destinationID)::text IS NULL OR destination_id = \(f.destinationID))
              AND (\(f.subscriptionID)::text IS NULL OR subscription_id = \(f.subscriptionID))
              AND (\(f.messageID)::text IS NULL OR message_id = \(f.messageID))
              AND (\(status)::text IS NULL OR status = \(status))
              AND (\(start)::int8 IS NULL OR failed_at >= \(start)) AND (\(end)::int8 IS NULL OR failed_at <= \(end))
            \(unescaped: tail)
            """
    }

    public func failedEvents(_ filter: FailedEventFilter, page: PageRequest) async throws -> Page<FailedEvent> {
        let count = Self.failedEventsQuery("SELECT COUNT(*) FROM failed_events", filter, "")
        let list = Self.failedEventsQuery(
            """
            SELECT id, source_id, destination_id, subscription_id, message_id, received_at, attempts, failed_at, status, reason, body
            FROM failed_events
            """, filter, "ORDER BY failed_at DESC, id DESC LIMIT \(page.count) OFFSET \(page.offset)")
        return try await read { conn in
            let total = try await self.rows(conn, count).first?.decode(Int.self) ?? 0
            let events = try await self.rows(conn, list).map { row in
                let (id, sourceID, destinationID, subscriptionID, messageID, receivedAt, attempts, failedAt, status, reason, body) =
                    try row.decode((Int64, String, String, String, String, Int64, Int, Int64, String, String, ByteBuffer).self)
                return FailedEvent(
                    id: id, sourceID: sourceID, destinationID: destinationID, subscriptionID: subscriptionID, messageID: messageID,
                    receivedAt: Self.date(receivedAt), attempts: attempts, failedAt: Self.date(failedAt),
                    status: FailedEventStatus(rawValue: status) ?? .discarded, reason: reason, body: Self.bytes(body))
            }
            return Page(items: events, totalEntries: total, request: page)
        }
    }

    public func replayFailedEvents(
        _ filter: FailedEventFilter, at now: Date, audit: @escaping @Sendable ([String: Int]) -> [AuditEvent]
    ) async throws -> Int {
        let nowMillis = Self.millis(now)
        // One statement moves them: what is deleted is exactly what is inserted, whatever other processes do meanwhile.
        let move = Self.failedEventsQuery(
            "WITH moved AS (DELETE FROM failed_events", filter,
            """
            RETURNING id, source_id, destination_id, subscription_id, message_id, body)
            INSERT INTO delivery_jobs (source_id, destination_id, subscription_id, message_id, received_at, attempts, next_attempt_at, body)
            SELECT source_id, destination_id, subscription_id, message_id, \(nowMillis), 0, \(nowMillis), body FROM moved ORDER BY id
            RETURNING destination_id
            """)
        return try await transaction { conn in
            let destinations = try await self.rows(conn, move).map { try $0.decode(String.self) }
            guard !destinations.isEmpty else { return 0 }
            try await Self.insertAudit(audit(destinations.reduce(into: [:]) { $0[$1, default: 0] += 1 }), conn, logger: self.logger)
            return destinations.count
        }
    }

    public func deleteFailedEvents(before cutoff: Date) async throws -> Int {
        try await transaction { conn in
            try await self.rows(conn, "DELETE FROM failed_events WHERE failed_at < \(Self.millis(cutoff)) RETURNING id").count
        }
    }
}
