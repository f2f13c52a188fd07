import Foundation
import GRDB
import SluiceCore

// MARK: - The event log (#17)

extension SQLiteStore {
    /// Inserts the entries whose destination exists, inside the caller's transaction.
    static func appendLog(_ log: [DeliveryAttempt], _ db: Database) throws {
        guard !log.isEmpty else { return }
        // Entries of a destination deleted meanwhile are left out (asked once per destination, not once per entry).
        var exists: [String: Bool] = [:]
        for id in Set(log.map(\.destinationID)) {
            exists[id] = try Bool.fetchOne(db.cachedStatement(literal: "SELECT EXISTS (SELECT 1 FROM destinations WHERE id = \(id))")) ?? false
        }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO delivery_attempts (source_id, destination_id, subscription_id, message_id, event_type, event_name, user_id,
                                               anonymous_id, attempt, attempted_at, status, reason, request_key, request_method,
                                               request_url, request_events, request_body, body_truncated, http_status, response,
                                               duration_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try insert.bindingRows { row in
            for entry in log where exists[entry.destinationID] == true {
                let request = entry.request
                row.bind(entry.sourceID)
                row.bind(entry.destinationID)
                row.bind(entry.subscriptionID)
                row.bind(entry.messageID)
                row.bind(entry.eventType)
                row.bind(entry.eventName)
                row.bind(entry.userID)
                row.bind(entry.anonymousID)
                row.bind(entry.attempt)
                row.bind(Self.millis(entry.attemptedAt))
                row.bind(entry.status.rawValue)
                row.bind(entry.reason)
                row.bind(request?.key)
                row.bind(request?.method)
                row.bind(request?.url)
                row.bind(request?.events)
                row.bind(blob: request?.body)
                row.bind(request?.bodyTruncated ?? false)
                row.bind(request?.status)
                row.bind(blob: request?.response)
                row.bind(request?.durationMillis)
                try row.step()
            }
        }
    }

    private static func conditions(_ filter: DeliveryAttemptFilter) -> SQL {
        var conditions: [SQL] = ["a.destination_id = \(filter.destinationID)"]
        if let id = filter.messageID { conditions.append("a.message_id = \(id)") }
        if let id = filter.userID { conditions.append("a.user_id = \(id)") }
        if let id = filter.anonymousID { conditions.append("a.anonymous_id = \(id)") }
        if let id = filter.subscriptionID { conditions.append("a.subscription_id = \(id)") }
        if let status = filter.status { conditions.append("a.status = \(status.rawValue)") }
        if let start = filter.startTime { conditions.append("a.attempted_at >= \(Self.millis(start))") }
        if let end = filter.endTime { conditions.append("a.attempted_at <= \(Self.millis(end))") }
        return whereClause(conditions)
    }

    public func deliveryAttempts(_ filter: DeliveryAttemptFilter, page: PageRequest) async throws -> Page<DeliveryAttempt> {
        try await read { db in
            let whereClause = Self.conditions(filter)
            let total = try Int.fetchOne(db, literal: "SELECT COUNT(*) FROM delivery_attempts a \(whereClause)") ?? 0
            // A batch's body is kept on its first event's entry: the others show it from there.
            let rows = try Row.fetchAll(
                db,
                literal: """
                    SELECT a.id, a.source_id, a.destination_id, a.subscription_id, a.message_id, a.event_type, a.event_name, a.user_id,
                           a.anonymous_id, a.attempt, a.attempted_at, a.status, a.reason, a.request_key, a.request_method, a.request_url,
                           a.request_events, COALESCE(a.request_body, b.request_body) AS body,
                           COALESCE(b.body_truncated, a.body_truncated) AS truncated, a.http_status, a.response, a.duration_ms
                    FROM delivery_attempts a
                    LEFT JOIN delivery_attempts b
                        ON a.request_body IS NULL AND a.request_events > 1 AND b.request_key = a.request_key
                           AND b.request_events > 1 AND b.request_body IS NOT NULL
                    \(whereClause) ORDER BY a.id DESC LIMIT \(page.count) OFFSET \(page.offset)
                    """)
            return Page(items: rows.map(Self.attempt), totalEntries: total, request: page)
        }
    }

    private static func attempt(_ row: Row) -> DeliveryAttempt {
        var request: LoggedRequest?
        if let key: String = row["request_key"] {
            let body: Data? = row["body"]
            let response: Data? = row["response"]
            request = LoggedRequest(
                key: key, method: row["request_method"] ?? "", url: row["request_url"] ?? "", events: row["request_events"] ?? 1,
                body: body.map { Array($0) }, bodyTruncated: row["truncated"], status: row["http_status"],
                response: response.map { Array($0) }, durationMillis: row["duration_ms"] ?? 0)
        }
        return DeliveryAttempt(
            id: row["id"], sourceID: row["source_id"], destinationID: row["destination_id"], subscriptionID: row["subscription_id"],
            messageID: row["message_id"], eventType: row["event_type"], eventName: row["event_name"], userID: row["user_id"],
            anonymousID: row["anonymous_id"], attempt: row["attempt"], attemptedAt: Self.date(row["attempted_at"]),
            status: DeliveryAttemptStatus(rawValue: row["status"]) ?? .retrying, reason: row["reason"], request: request)
    }

    public func pruneDeliveryAttempts(before cutoff: Date, keepPerDestination: Int) async throws -> Int {
        try await write { db in
            // Destination by destination, on the one index the log has (an index of times would cost every insert).
            var removed = 0
            let keep = max(keepPerDestination, 0)
            let counts = try Row.fetchAll(db, literal: "SELECT destination_id, COUNT(*) AS n FROM delivery_attempts GROUP BY destination_id")
            for row in counts {
                let destinationID: String = row["destination_id"]
                try db.execute(
                    literal: "DELETE FROM delivery_attempts WHERE destination_id = \(destinationID) AND attempted_at < \(Self.millis(cutoff))")
                removed += db.changesCount
                let count: Int = row["n"]
                guard count - db.changesCount > keep else { continue }
                try db.execute(
                    literal: """
                        DELETE FROM delivery_attempts WHERE destination_id = \(destinationID) AND id <= (
                            SELECT id FROM delivery_attempts WHERE destination_id = \(destinationID) ORDER BY id DESC LIMIT 1 OFFSET \(keep))
                        """)
                removed += db.changesCount
            }
            return removed
        }
    }
}
