import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    public func appendEvents(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws {
        guard !events.isEmpty || !refused.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO events (source_id, message_id, received_at, body) VALUES (?, ?, ?, ?)")
            try statement.bindingRows { row in
                for e in events {
                    row.bind(e.sourceID)
                    row.bind(e.messageID)
                    row.bind(Self.millis(e.receivedAt))
                    row.bind(blob: e.body)
                    try row.step()
                }
            }
            try Self.countReceived(events, refused: refused, db)
        }
    }

    /// Adds the events received and refused to the Delivery Overview's counts: one row per (source, minute, stage,
    /// reason) of the whole group commit, not one per event.
    private static func countReceived(_ events: [IncomingEvent], refused: [SourceEventCount], _ db: Database) throws {
        let count = try db.cachedStatement(
            sql: """
                INSERT INTO source_event_counts (source_id, minute, stage, reason, count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source_id, minute, stage, reason) DO UPDATE SET count = count + excluded.count
                """)
        for c in SourceEventCount.merged(SourceEventCount.received(events) + refused) {
            try count.execute(arguments: [c.sourceID, c.minute, c.stage.rawValue, c.reason, c.count])
        }
    }

    public func pendingEvents(limit: Int) async throws -> [PendingEvent] {
        try await read { db in
            // In place and by position: a copied row carries its column names, and a lookup by name lowercases it.
            try db.cachedStatement(sql: "SELECT seq, source_id, message_id, received_at, body FROM events ORDER BY seq LIMIT ?").all(
                arguments: [limit]
            ) { row in
                PendingEvent(
                    seq: row[0],
                    event: IncomingEvent(sourceID: row[1], messageID: row[2], receivedAt: Self.date(row[3]), body: try Self.bytes(row, 4)))
            }
        }
    }

    /// The blob in column `index` of `row` as bytes, copied once (NULL reads as none).
    static func bytes(_ row: Row, _ index: Int) throws -> [UInt8] {
        try row.withUnsafeData(atIndex: index) { $0.map { Array($0) } ?? [] }
    }

    public func route(consumed: [Int64], jobs: [NewDeliveryJob], filtered: [FilteredEvent]) async throws {
        guard !consumed.isEmpty else { return }
        try await write { db in
            // Only the events this transaction deletes get jobs: one routed already has none left to route.
            let delete = try db.cachedStatement(sql: "DELETE FROM events WHERE seq = ?")
            var deleted = Set<Int64>()
            try delete.bindingRows { row in
                for seq in consumed {
                    row.bind(seq)
                    try row.step()
                    if db.changesCount > 0 { deleted.insert(seq) }
                }
            }
            try Self.insertJobs(jobs, db) { deleted.contains($0.eventSeq) }
            try Self.countFiltered(filtered.counts(consumed: deleted), db)
        }
    }

    /// The routing version (migration `0011_routing_version`), read by ``routingVersion()`` and checked by
    /// ``appendRoutedEvents(_:routing:refused:)`` in its transaction.
    static let routingVersionQuery = "SELECT version FROM routing_version WHERE id = 1"

    public func routingVersion() async throws -> Int64? {
        try await pointRead(.one) { db in
            try Int64.fetchOne(db.cachedStatement(sql: Self.routingVersionQuery))
        }
    }

    public func appendRoutedEvents(_ events: [IncomingEvent], routing: IngestRouting, refused: [SourceEventCount]) async throws {
        guard !events.isEmpty || !refused.isEmpty else { return }
        try await write { db in
            // Routes hold only for the version they were worked out under: after a write of what routing reads since
            // (in this process, the only one that writes a SQLite store), nothing is written, and the caller commits
            // the events unrouted, for the router.
            let version = try Int64.fetchOne(db.cachedStatement(sql: Self.routingVersionQuery))
            guard version == routing.version else { throw RoutesChanged() }
            try Self.insertJobs(routing.jobs, db) { _ in true }
            try Self.countFiltered(routing.filtered.counts(), db)
            try Self.countReceived(events, refused: refused, db)
        }
    }

    /// Inserts the jobs `included` admits, each due when its event was received.
    private static func insertJobs(_ jobs: [NewDeliveryJob], _ db: Database, included: (NewDeliveryJob) -> Bool) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO delivery_jobs (source_id, destination_id, subscription_id, message_id, received_at, attempts,
                                           next_attempt_at, body)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                """)
        try insert.bindingRows { row in
            for job in jobs where included(job) {
                let received = Self.millis(job.event.receivedAt)
                row.bind(job.event.sourceID)
                row.bind(job.destinationID)
                row.bind(job.subscriptionID)
                row.bind(job.event.messageID)
                row.bind(received)
                row.bind(received)
                row.bind(blob: job.event.body)
                try row.step()
            }
        }
    }

    /// Adds the counts of events kept from destinations to the Delivery Overview's.
    private static func countFiltered(_ counts: [FilteredCount], _ db: Database) throws {
        for c in counts {
            try db.cachedStatement(
                literal: """
                    INSERT INTO filtered_events (source_id, destination_id, minute, reason, count)
                    VALUES (\(c.sourceID), \(c.destinationID), \(c.minute), \(c.reason), \(c.count))
                    ON CONFLICT (source_id, destination_id, minute, reason) DO UPDATE SET count = count + excluded.count
                    """
            ).execute()
        }
    }

    public func claimJobs(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob] {
        let nowMillis = Self.millis(now)
        let leaseUntil = nowMillis + lease.components.seconds * 1000
        return try await write { db in
            // Destinations with nothing in their way, as one query; then each rate-limited or failing one, for what its
            // bucket holds or for a single probe.
            var jobs = try Self.claim(
                db, now: nowMillis, leaseUntil: leaseUntil, limit: limit,
                only: """
                    destination_id NOT IN (SELECT destination_id FROM destination_delivery_state
                                           WHERE hold_until > \(nowMillis) OR rate_limit IS NOT NULL OR failing_since IS NOT NULL)
                    """)
            let special = try Row.fetchAll(
                db.cachedStatement(
                    literal: """
                        SELECT destination_id, rate_limit, rate_tokens, rate_at, failing_since FROM destination_delivery_state
                        WHERE hold_until <= \(nowMillis) AND (rate_limit IS NOT NULL OR failing_since IS NOT NULL)
                          AND destination_id NOT IN (SELECT destination_id FROM paused_destinations)
                        ORDER BY destination_id
                        """))
            for row in special where jobs.count < limit {
                let id: String = row["destination_id"]
                let failing = (row["failing_since"] as Int64?) != nil
                let bucket = (row["rate_limit"] as Double?).map {
                    RateBucket(rate: $0, tokens: row["rate_tokens"], at: row["rate_at"]).refilled(at: nowMillis)
                }
                let allowance = min(failing ? 1 : bucket?.allowance ?? 0, limit - jobs.count)
                guard allowance > 0 else { continue }
                let claimed = try Self.claim(db, now: nowMillis, leaseUntil: leaseUntil, limit: allowance, only: "destination_id = \(id)")
                guard !claimed.isEmpty else { continue }
                jobs += claimed
                if failing {
                    // One probe at a time: the next waits for this one's result (or its lease).
                    try db.cachedStatement(literal: "UPDATE destination_delivery_state SET hold_until = \(leaseUntil) WHERE destination_id = \(id)")
                        .execute()
                } else if let bucket {
                    let (taken, hold) = bucket.taking(claimed.count)
                    try db.cachedStatement(
                        literal: """
                            UPDATE destination_delivery_state SET rate_tokens = \(taken.tokens), rate_at = \(taken.at), hold_until = \(hold)
                            WHERE destination_id = \(id)
                            """
                    ).execute()
                }
            }
            return jobs.sorted { $0.id < $1.id }
        }
    }

    /// Leases up to `limit` due jobs of the destinations `only` admits, paused ones left out.
    ///
    /// The lease is a row of the writer connection's own `temp.delivery_leases` (``createLeases(_:)``), not a column
    /// of the job: the job's row, with its body, is not written again to be leased.
    private static func claim(_ db: Database, now: Int64, leaseUntil: Int64, limit: Int, only: SQL) throws -> [DeliveryJob] {
        let jobs = try db.cachedStatement(
            literal: """
                SELECT id, source_id, destination_id, subscription_id, message_id, received_at, attempts, next_attempt_at, body
                FROM delivery_jobs j
                WHERE next_attempt_at <= \(now)
                  AND NOT EXISTS (SELECT 1 FROM temp.delivery_leases l WHERE l.job_id = j.id AND l.until >= \(now))
                  AND destination_id NOT IN (SELECT destination_id FROM paused_destinations) AND \(only)
                ORDER BY next_attempt_at, id LIMIT \(limit)
                """
        ).all { row in
            DeliveryJob(
                id: row[0], sourceID: row[1], destinationID: row[2], subscriptionID: row[3], messageID: row[4], receivedAt: Self.date(row[5]),
                attempts: row[6], nextAttemptAt: Self.date(row[7]), body: try Self.bytes(row, 8))
        }
        let lease = try db.cachedStatement(sql: "INSERT OR REPLACE INTO temp.delivery_leases (job_id, until) VALUES (?, ?)")
        try lease.bindingRows { row in
            for job in jobs {
                row.bind(job.id)
                row.bind(leaseUntil)
                try row.step()
            }
        }
        return jobs
    }

    /// Creates the writer connection's table of leases: a single process owns every job of a SQLite store
    /// (``releaseLeases()``), so a lease lives as long as the connection and is never written to the file.
    static func createLeases(_ db: Database) throws {
        try db.execute(
            sql: """
                PRAGMA temp_store = MEMORY;
                CREATE TEMP TABLE IF NOT EXISTS delivery_leases (job_id INTEGER PRIMARY KEY, until INTEGER NOT NULL);
                """)
    }

    public func complete(
        _ completions: [JobCompletion], metrics: [MetricsDelta], log: [DeliveryAttempt], health: DeliveryHealthReport
    ) async throws -> [DeliveryHealthChange] {
        guard !completions.isEmpty || !metrics.isEmpty || !log.isEmpty || !health.destinations.isEmpty else { return [] }
        return try await write { db in
            let finish = try db.cachedStatement(sql: "DELETE FROM delivery_jobs WHERE id = ?")
            let retry = try db.cachedStatement(sql: "UPDATE delivery_jobs SET attempts = ?, next_attempt_at = ? WHERE id = ?")
            let unlease = try db.cachedStatement(sql: "DELETE FROM temp.delivery_leases WHERE job_id = ?")
            try unlease.bindingRows { unleasing in
                try finish.bindingRows { finishing in
                    for completion in completions {
                        unleasing.bind(completion.jobID)
                        try unleasing.step()
                        switch completion {
                        case .finished(let id):
                            finishing.bind(id)
                            try finishing.step()
                        case .retry(let id, let attempts, let next): try retry.execute(arguments: [attempts, Self.millis(next), id])
                        case .failed(let id, let status, let reason, let attempts, let at):
                            // Kept only while its destination exists (a deleted destination's failed events go with it).
                            try db.cachedStatement(
                                literal: """
                                    INSERT INTO failed_events (source_id, destination_id, subscription_id, message_id, received_at, attempts,
                                                               failed_at, status, reason, body)
                                    SELECT j.source_id, j.destination_id, j.subscription_id, j.message_id, j.received_at, \(attempts),
                                           \(Self.millis(at)), \(status.rawValue), \(reason), j.body
                                    FROM delivery_jobs j WHERE j.id = \(id) AND EXISTS (SELECT 1 FROM destinations d WHERE d.id = j.destination_id)
                                    """
                            ).execute()
                            finishing.bind(id)
                            try finishing.step()
                        }
                    }
                }
            }
            for delta in metrics { try Self.addMetrics(delta, db) }
            try Self.appendLog(log, db)
            return try Self.applyHealth(health, db)
        }
    }

    /// Applies each destination's attempts to its stored health, writing only what changes.
    private static func applyHealth(_ report: DeliveryHealthReport, _ db: Database) throws -> [DeliveryHealthChange] {
        var changes: [DeliveryHealthChange] = []
        for attempts in report.destinations {
            let row = try Row.fetchOne(
                db.cachedStatement(
                    literal: """
                        SELECT hold_until, failing_from, failing_since FROM destination_delivery_state WHERE destination_id = \(attempts.destinationID)
                        """)
            )
            let health = row.map {
                DeliveryHealthReport.Health(holdUntil: $0["hold_until"], failingFrom: $0["failing_from"], failingSince: $0["failing_since"])
            }
            let (next, change) = report.apply(attempts, to: health ?? DeliveryHealthReport.Health())
            guard next != health ?? DeliveryHealthReport.Health() else { continue }
            // Only for a destination that still exists.
            try db.cachedStatement(
                literal: """
                    INSERT INTO destination_delivery_state (destination_id, hold_until, failing_from, failing_since)
                    SELECT id, \(next.holdUntil), \(next.failingFrom), \(next.failingSince) FROM destinations WHERE id = \(attempts.destinationID)
                    ON CONFLICT (destination_id) DO UPDATE SET
                        hold_until = excluded.hold_until, failing_from = excluded.failing_from, failing_since = excluded.failing_since
                    """
            ).execute()
            guard db.changesCount > 0, let change else { continue }
            let made = DeliveryHealthChange(destinationID: attempts.destinationID, kind: change, at: attempts.finishedAt)
            try insertAudit([report.audit(made)], db)
            changes.append(made)
        }
        return changes
    }

    private static func addMetrics(_ delta: MetricsDelta, _ db: Database) throws {
        var counters = delta.counters
        if let row = try Row.fetchOne(
            db.cachedStatement(
                literal: """
                    SELECT successes_first, successes_retry, expired, discarded, retried, time_to_success, time_to_first_attempt
                    FROM delivery_metrics WHERE source_id = \(delta.sourceID) AND destination_id = \(delta.destinationID) AND minute = \(delta.minute)
                    """)
        ) {
            counters.merge(try Self.counters(from: row))
        }
        try db.cachedStatement(
            literal: """
                INSERT INTO delivery_metrics (source_id, destination_id, minute, successes_first, successes_retry, expired, discarded,
                                              retried, time_to_success, time_to_first_attempt)
                VALUES (\(delta.sourceID), \(delta.destinationID), \(delta.minute), \(counters.successesOnFirstAttempt),
                        \(counters.successesAfterRetry), \(counters.expired), \(counters.discarded), \(counters.retried),
                        \(Data(counters.timeToSuccess.serialized())), \(Data(counters.timeToFirstAttempt.serialized())))
                ON CONFLICT (source_id, destination_id, minute) DO UPDATE SET
                    successes_first = excluded.successes_first, successes_retry = excluded.successes_retry, expired = excluded.expired,
                    discarded = excluded.discarded, retried = excluded.retried, time_to_success = excluded.time_to_success,
                    time_to_first_attempt = excluded.time_to_first_attempt
                """
        ).execute()
    }

    private static func counters(from row: Row) throws -> DeliveryCounters {
        let success: Data = row["time_to_success"]
        let first: Data = row["time_to_first_attempt"]
        return DeliveryCounters(
            successesOnFirstAttempt: row["successes_first"], successesAfterRetry: row["successes_retry"], expired: row["expired"],
            discarded: row["discarded"], retried: row["retried"], timeToSuccess: try LatencyHistogram(serialized: Array(success)),
            timeToFirstAttempt: try LatencyHistogram(serialized: Array(first)))
    }

    public func releaseLeases() async throws {
        // The jobs' own `lease_until` column, where an earlier version kept them, is read by nothing now.
        try await write { db in try db.execute(sql: "DELETE FROM temp.delivery_leases") }
    }

    public func nextDueTime() async throws -> Date? {
        // On the writer's connection, the one that holds the leases (``createLeases(_:)``).
        try await write { db in
            // The first due job of a destination nothing holds; a held destination's first job when its hold ends.
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(due) FROM (
                            SELECT MIN(next_attempt_at) AS due FROM delivery_jobs j
                            WHERE NOT EXISTS (SELECT 1 FROM temp.delivery_leases l WHERE l.job_id = j.id)
                              AND destination_id NOT IN (SELECT destination_id FROM paused_destinations)
                              AND destination_id NOT IN (SELECT destination_id FROM destination_delivery_state WHERE hold_until > 0)
                            UNION ALL
                            SELECT MAX(s.hold_until, (SELECT MIN(j.next_attempt_at) FROM delivery_jobs j
                                                      WHERE j.destination_id = s.destination_id
                                                        AND NOT EXISTS (SELECT 1 FROM temp.delivery_leases l WHERE l.job_id = j.id)))
                            FROM destination_delivery_state s
                            WHERE s.hold_until > 0 AND s.destination_id NOT IN (SELECT destination_id FROM paused_destinations))
                        """)
            ).map(Self.date)
        }
    }

    public func deliveryState(destinationID: String) async throws -> DestinationDeliveryState {
        try await read { db in
            var state = DestinationDeliveryState(destinationID: destinationID)
            state.pausedAt = try Int64.fetchOne(
                db, literal: "SELECT paused_at FROM paused_destinations WHERE destination_id = \(destinationID)"
            ).map(Self.date)
            if let row = try Row.fetchOne(
                db,
                literal: """
                    SELECT rate_limit, hold_until, failing_from, failing_since FROM destination_delivery_state WHERE destination_id = \(destinationID)
                    """)
            {
                state.rateLimit = row["rate_limit"]
                let hold: Int64 = row["hold_until"]
                state.heldUntil = hold > 0 ? Self.date(hold) : nil
                state.failingFrom = (row["failing_from"] as Int64?).map(Self.date)
                state.failingSince = (row["failing_since"] as Int64?).map(Self.date)
            }
            return state
        }
    }

    public func setDeliveryRateLimit(destinationID: String, eventsPerSecond: Double?, at now: Date, audit: [AuditEvent]) async throws -> Bool {
        try await groupWrite { db in
            let current = try Row.fetchOne(
                db, literal: "SELECT rate_limit FROM destination_delivery_state WHERE destination_id = \(destinationID)"
            ).flatMap { $0["rate_limit"] as Double? }
            guard current != eventsPerSecond else { return false }
            try db.execute(
                literal: """
                    INSERT INTO destination_delivery_state (destination_id, rate_limit, rate_tokens, rate_at)
                    SELECT id, \(eventsPerSecond), \(eventsPerSecond.map { max(1, $0) } ?? 0), \(Self.millis(now))
                    FROM destinations WHERE id = \(destinationID)
                    ON CONFLICT (destination_id) DO UPDATE SET
                        rate_limit = excluded.rate_limit, rate_tokens = excluded.rate_tokens, rate_at = excluded.rate_at,
                        hold_until = CASE WHEN failing_since IS NULL THEN 0 ELSE hold_until END
                    """)
            guard db.changesCount > 0 else { return false }
            try Self.insertAudit(audit, db)
            return true
        }
    }

    public func failingDestinationCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM destination_delivery_state WHERE failing_since IS NOT NULL") ?? 0
        }
    }

    public func setDeliveryPaused(destinationID: String, at pausedAt: Date?, audit: [AuditEvent]) async throws -> Bool {
        try await groupWrite { db in
            let changed: [String]
            if let pausedAt {
                changed = try String.fetchAll(
                    db,
                    literal: """
                        INSERT INTO paused_destinations (destination_id, paused_at)
                        SELECT id, \(Self.millis(pausedAt)) FROM destinations WHERE id = \(destinationID)
                        ON CONFLICT (destination_id) DO NOTHING RETURNING destination_id
                        """)
            } else {
                changed = try String.fetchAll(
                    db, literal: "DELETE FROM paused_destinations WHERE destination_id = \(destinationID) RETURNING destination_id")
            }
            guard !changed.isEmpty else { return false }
            try Self.insertAudit(audit, db)
            return true
        }
    }

    public func pendingEventSpan() async throws -> Int {
        try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT MIN(seq), MAX(seq) FROM events")
            guard let first = row?[0] as Int64?, let last = row?[1] as Int64? else { return 0 }
            return Int(last - first + 1)
        }
    }

    public func queueDepth() async throws -> (events: Int, jobs: Int) {
        try await read { db in
            let events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
            let jobs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery_jobs") ?? 0
            return (events, jobs)
        }
    }

    public func deliveryCounters(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> DeliveryCounters {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                literal: """
                    SELECT successes_first, successes_retry, expired, discarded, retried, time_to_success, time_to_first_attempt
                    FROM delivery_metrics
                    WHERE source_id = \(sourceID) AND destination_id = \(destinationID)
                      AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
                    """)
            return DeliveryCounters.merged(try rows.map(Self.counters(from:)))
        }
    }

    public func filteredCounts(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> [String: Int64] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                literal: """
                    SELECT reason, SUM(count) AS total FROM filtered_events
                    WHERE source_id = \(sourceID) AND destination_id = \(destinationID)
                      AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
                    GROUP BY reason
                    """)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["reason"] as String, $0["total"] as Int64) })
        }
    }

    public func overviewCounts(
        step: DeliveryOverviewStep, sourceID: String, destinationID: String?, minutes: Range<Int64>
    ) async throws
        -> [DeliveryOverviewCount]
    {
        let (low, high) = (minutes.lowerBound, minutes.upperBound)
        return try await read { db in
            switch step {
            case .successfullyReceived, .failedOnIngest:
                let stage = (step == .successfullyReceived ? SourceEventCount.Stage.received : .refused).rawValue
                return try Self.reasonCounts(db, table: "source_event_counts", column: "stage", equals: stage, sourceID: sourceID, minutes: minutes)
            case .filteredAtSource, .filteredAtDestination:
                let destination = step == .filteredAtSource ? "" : destinationID ?? ""
                return try Self.reasonCounts(
                    db, table: "filtered_events", column: "destination_id", equals: destination, sourceID: sourceID, minutes: minutes)
            case .successfulDelivery, .failedDelivery:
                let rows = try Row.fetchAll(
                    db,
                    literal: """
                        SELECT minute, successes_first, successes_retry, discarded, expired FROM delivery_metrics
                        WHERE source_id = \(sourceID) AND destination_id = \(destinationID ?? "") AND minute >= \(low) AND minute < \(high)
                        """)
                return rows.flatMap { row -> [DeliveryOverviewCount] in
                    DeliveryOverviewCount.delivery(
                        step: step, minute: row["minute"], successesOnFirstAttempt: row["successes_first"],
                        successesAfterRetry: row["successes_retry"], discarded: row["discarded"], expired: row["expired"])
                }
            }
        }
    }

    /// A source's counts per minute and reason from a table of them, where `column` equals `value`. The table and the
    /// column are literals of Sluice's own (names cannot be bound); every value is bound.
    private static func reasonCounts(
        _ db: Database, table: StaticString, column: StaticString, equals value: String, sourceID: String, minutes: Range<Int64>
    ) throws -> [DeliveryOverviewCount] {
        try Row.fetchAll(
            db,
            literal: """
                SELECT minute, reason, count FROM \(sql: table.description)
                WHERE source_id = \(sourceID) AND \(sql: column.description) = \(value)
                  AND minute >= \(minutes.lowerBound) AND minute < \(minutes.upperBound)
                """
        ).map { DeliveryOverviewCount(minute: $0["minute"], reason: $0["reason"], count: $0["count"]) }
    }
}

// MARK: - Failed events

extension SQLiteStore {
    private static func conditions(_ filter: FailedEventFilter) -> SQL {
        var conditions: [SQL] = []
        if let ids = filter.ids { conditions.append("id IN \(ids)") }
        if let id = filter.destinationID { conditions.append("destination_id = \(id)") }
        if let id = filter.subscriptionID { conditions.append("subscription_id = \(id)") }
        if let id = filter.messageID { conditions.append("message_id = \(id)") }
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let start = filter.startTime { conditions.append("failed_at >= \(Self.millis(start))") }
        if let end = filter.endTime { conditions.append("failed_at <= \(Self.millis(end))") }
        return whereClause(conditions)
    }

    public func failedEvents(_ filter: FailedEventFilter, page: PageRequest) async throws -> Page<FailedEvent> {
        try await read { db in
            let whereClause = Self.conditions(filter)
            let total = try Int.fetchOne(db, literal: "SELECT COUNT(*) FROM failed_events \(whereClause)") ?? 0
            let rows = try Row.fetchAll(
                db,
                literal: """
                    SELECT id, source_id, destination_id, subscription_id, message_id, received_at, attempts, failed_at, status, reason, body
                    FROM failed_events \(whereClause) ORDER BY failed_at DESC, id DESC LIMIT \(page.count) OFFSET \(page.offset)
                    """)
            let events = rows.map { row in
                let body: Data = row["body"]
                return FailedEvent(
                    id: row["id"], sourceID: row["source_id"], destinationID: row["destination_id"], subscriptionID: row["subscription_id"],
                    messageID: row["message_id"], receivedAt: Self.date(row["received_at"]), attempts: row["attempts"],
                    failedAt: Self.date(row["failed_at"]), status: FailedEventStatus(rawValue: row["status"]) ?? .discarded,
                    reason: row["reason"], body: Array(body))
            }
            return Page(items: events, totalEntries: total, request: page)
        }
    }

    public func replayFailedEvents(
        _ filter: FailedEventFilter, at now: Date, audit: @escaping @Sendable ([String: Int]) -> [AuditEvent]
    ) async throws -> Int {
        let nowMillis = Self.millis(now)
        return try await groupWrite { db in
            // One writer at a time: what is copied is exactly what is then deleted.
            let whereClause = Self.conditions(filter)
            let destinations = try String.fetchAll(
                db,
                literal: """
                    INSERT INTO delivery_jobs (source_id, destination_id, subscription_id, message_id, received_at, attempts, next_attempt_at, body)
                    SELECT source_id, destination_id, subscription_id, message_id, \(nowMillis), 0, \(nowMillis), body
                    FROM failed_events \(whereClause) ORDER BY id
                    RETURNING destination_id
                    """)
            try db.execute(literal: "DELETE FROM failed_events \(whereClause)")
            guard !destinations.isEmpty else { return 0 }
            try Self.insertAudit(audit(destinations.reduce(into: [:]) { $0[$1, default: 0] += 1 }), db)
            return destinations.count
        }
    }

    public func deleteFailedEvents(before cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(literal: "DELETE FROM failed_events WHERE failed_at < \(Self.millis(cutoff))")
            return db.changesCount
        }
    }
}
