import Foundation
import NIOCore
import PostgresNIO
import SluiceCore

// MARK: - The event log (#17)

extension PostgresStore {
    /// The entries as one JSON array of records (bodies in base64), bound as one parameter: one statement inserts any
    /// number of them, NULLs included.
    static func logRecords(_ log: [DeliveryAttempt]) -> String {
        var w = JSONWriter(capacity: 512 * log.count)
        w.raw("[")
        for (i, entry) in log.enumerated() {
            if i > 0 { w.raw(",") }
            var record: [String: JSONValue] = [
                "source_id": .string(entry.sourceID), "destination_id": .string(entry.destinationID),
                "subscription_id": .string(entry.subscriptionID), "message_id": .string(entry.messageID),
                "event_type": .string(entry.eventType), "attempt": .number(Double(entry.attempt)),
                "attempted_at": .number(Double(Self.millis(entry.attemptedAt))), "status": .string(entry.status.rawValue),
                "reason": .string(entry.reason),
            ]
            record["event_name"] = entry.eventName.map(JSONValue.string)
            record["user_id"] = entry.userID.map(JSONValue.string)
            record["anonymous_id"] = entry.anonymousID.map(JSONValue.string)
            if let request = entry.request {
                record["request_key"] = .string(request.key)
                record["request_method"] = .string(request.method)
                record["request_url"] = .string(request.url)
                record["request_events"] = .number(Double(request.events))
                record["request_body"] = request.body.map { .string(Data($0).base64EncodedString()) }
                record["body_truncated"] = .bool(request.bodyTruncated)
                record["http_status"] = request.status.map { .number(Double($0)) }
                record["response"] = request.response.map { .string(Data($0).base64EncodedString()) }
                record["duration_ms"] = .number(Double(request.durationMillis))
            }
            w.value(.object(record))
        }
        w.raw("]")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Inserts the entries whose destination exists, inside the caller's transaction.
    func appendLog(_ records: String, _ conn: PostgresConnection) async throws {
        try await conn.query(
            """
            INSERT INTO delivery_attempts (source_id, destination_id, subscription_id, message_id, event_type, event_name, user_id,
                                           anonymous_id, attempt, attempted_at, status, reason, request_key, request_method, request_url,
                                           request_events, request_body, body_truncated, http_status, response, duration_ms)
            SELECT x->>'source_id', x->>'destination_id', x->>'subscription_id', x->>'message_id', x->>'event_type', x->>'event_name',
                   x->>'user_id', x->>'anonymous_id', (x->>'attempt')::int8, (x->>'attempted_at')::int8, x->>'status', x->>'reason',
                   x->>'request_key', x->>'request_method', x->>'request_url', (x->>'request_events')::int8,
                   decode(x->>'request_body', 'base64'), COALESCE((x->>'body_truncated')::boolean, FALSE), (x->>'http_status')::int8,
                   decode(x->>'response', 'base64'), (x->>'duration_ms')::int8
            FROM jsonb_array_elements(\(records)::jsonb) WITH ORDINALITY AS e(x, n)
            WHERE EXISTS (SELECT 1 FROM destinations d WHERE d.id = x->>'destination_id')
            ORDER BY e.n
            """, logger: logger)
    }

    /// `head`, the filter's conditions (a `nil` member binds NULL and switches its condition off), then `tail`.
    /// `head` and `tail` are constants of this file, or whole numbers.
    private static func attemptsQuery(_ head: String, _ f: DeliveryAttemptFilter, _ tail: String) -> PostgresQuery {
        let start = f.startTime.map(Self.millis)
        let end = f.endTime.map(Self.millis)
        let status = f.status?.rawValue
        return """
            \(unescaped: head) WHERE a.destination_id = \(f.destinationID)
              AND (\(f.messageID)::text IS NULL OR a.message_id = \(f.messageID))
              AND (\(f.userID)::text IS NULL OR a.user_id = \(f.userID))
              AND (\(f.anonymousID)::text IS NULL OR a.anonymous_id = \(f.anonymousID))
              AND (\(f.subscriptionID)::text IS NULL OR a.subscription_id = \(f.subscriptionID))
              AND (\(status)::text IS NULL OR a.status = \(status))
              AND (\(start)::int8 IS NULL OR a.attempted_at >= \(start)) AND (\(end)::int8 IS NULL OR a.attempted_at <= \(end))
            \(unescaped: tail)
            """
    }

    public func deliveryAttempts(_ filter: DeliveryAttemptFilter, page: PageRequest) async throws -> Page<DeliveryAttempt> {
        let count = Self.attemptsQuery("SELECT COUNT(*) FROM delivery_attempts a", filter, "")
        // A batch's body is kept on its first event's entry: the others show it from there.
        let list = Self.attemptsQuery(
            """
            SELECT a.id, a.source_id, a.destination_id, a.subscription_id, a.message_id, a.event_type, a.event_name, a.user_id,
                   a.anonymous_id, a.attempt, a.attempted_at, a.status, a.reason, a.request_key, a.request_method, a.request_url,
                   a.request_events, COALESCE(a.request_body, b.request_body), COALESCE(b.body_truncated, a.body_truncated),
                   a.http_status, a.response, a.duration_ms
            FROM delivery_attempts a
            LEFT JOIN delivery_attempts b
                ON a.request_body IS NULL AND a.request_events > 1 AND b.request_key = a.request_key AND b.request_events > 1
                   AND b.request_body IS NOT NULL
            """, filter, "ORDER BY a.id DESC LIMIT \(page.count) OFFSET \(page.offset)")
        return try await read { conn in
            let total = try await self.rows(conn, count).first?.decode(Int.self) ?? 0
            let attempts = try await self.rows(conn, list).map { try Self.attempt($0.makeRandomAccess()) }
            return Page(items: attempts, totalEntries: total, request: page)
        }
    }

    private static func attempt(_ row: PostgresRandomAccessRow) throws -> DeliveryAttempt {
        var request: LoggedRequest?
        if let key = try row[13].decode(String?.self) {
            request = LoggedRequest(
                key: key, method: try row[14].decode(String?.self) ?? "", url: try row[15].decode(String?.self) ?? "",
                events: Int(try row[16].decode(Int64?.self) ?? 1), body: try row[17].decode(ByteBuffer?.self).map(Self.bytes),
                bodyTruncated: try row[18].decode(Bool.self), status: try row[19].decode(Int64?.self).map { Int($0) },
                response: try row[20].decode(ByteBuffer?.self).map(Self.bytes), durationMillis: Int(try row[21].decode(Int64?.self) ?? 0))
        }
        return DeliveryAttempt(
            id: try row[0].decode(Int64.self), sourceID: try row[1].decode(String.self), destinationID: try row[2].decode(String.self),
            subscriptionID: try row[3].decode(String.self), messageID: try row[4].decode(String.self),
            eventType: try row[5].decode(String.self), eventName: try row[6].decode(String?.self), userID: try row[7].decode(String?.self),
            anonymousID: try row[8].decode(String?.self), attempt: Int(try row[9].decode(Int64.self)),
            attemptedAt: Self.date(try row[10].decode(Int64.self)),
            status: DeliveryAttemptStatus(rawValue: try row[11].decode(String.self)) ?? .retrying, reason: try row[12].decode(String.self),
            request: request)
    }

    public func pruneDeliveryAttempts(before cutoff: Date, keepPerDestination: Int) async throws -> Int {
        let keep = max(keepPerDestination, 0)
        let cutoff = Self.millis(cutoff)
        return try await transaction { conn in
            // Destination by destination, on the one index the log has (an index of times would cost every insert).
            var removed = 0
            let counts = try await self.rows(conn, "SELECT destination_id, COUNT(*) FROM delivery_attempts GROUP BY destination_id")
                .map { try $0.decode((String, Int).self) }
            for (destinationID, count) in counts {
                let old = try await self.rows(
                    conn, "DELETE FROM delivery_attempts WHERE destination_id = \(destinationID) AND attempted_at < \(cutoff) RETURNING id"
                ).count
                removed += old
                guard count - old > keep else { continue }
                removed += try await self.rows(
                    conn,
                    """
                    DELETE FROM delivery_attempts WHERE destination_id = \(destinationID) AND id <= (
                        SELECT id FROM delivery_attempts WHERE destination_id = \(destinationID) ORDER BY id DESC LIMIT 1 OFFSET \(keep))
                    RETURNING id
                    """
                ).count
            }
            return removed
        }
    }
}
