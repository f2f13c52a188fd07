import Foundation
import Synchronization

/// Segment's HTTP Tracking API as Sluice serves it: the limits, and the checks and stamps each message goes through
/// before it is stored.
///
/// The HTTP layer reads the body, finds the write key (``writeKey(authorization:)``, ``writeKey(body:)``), checks
/// the request size (``checkRequestSize(_:)``), then calls ``normalize(_:type:receivedAt:batchSentAt:batchContext:)``
/// for one message or ``normalizeBatch(_:receivedAt:)`` for `/v1/batch`. What those return is what is stored and
/// delivered.
///
/// Rules (docs/delivery.md has the long form):
/// - `type` is one of the six message types. A route's type wins over a `type` in the body; a batch item must
///   carry its own.
/// - `userId` or `anonymousId` is required: a non-empty string, or a number, which is stored as its string form
///   (`42` becomes `"42"`) so that triggers and mappings always see strings. `groupId` (group) and `previousId`
///   (alias) follow the same rule; `event` (track) must be a non-empty string.
/// - `messageId` is kept when it is a non-empty string, else a random `api-` id is filled in.
/// - `receivedAt` is stamped with the server's clock. The client's `timestamp` (or, without one, its
///   `originalTimestamp`) is kept as `originalTimestamp`, and `timestamp` becomes
///   `receivedAt - (sentAt - originalTimestamp)` when `sentAt` is known; without `sentAt` the client's time is
///   used as it is, and without any client time `timestamp` is `receivedAt`.
/// - `writeKey` is removed. `context`, `properties` and `traits` must be objects when present.
/// - A message may be at most ``maxMessageBytes`` once encoded.
///
/// Every error is a ``ValidationError`` of kind ``ValidationError/Kind/badRequest``: the Tracking API answers 400
/// for a message it refuses (it has no 422).
public enum TrackingAPI {
    /// The largest message, encoded as compact JSON: 32 KB.
    public static let maxMessageBytes = 32 * 1024
    /// The largest request body: 500 KB.
    public static let maxRequestBytes = 500 * 1024

    /// The six message types, named as the routes and the `type` field name them.
    public enum MessageType: String, CaseIterable, Sendable {
        case track, identify, page, screen, group, alias
    }

    // MARK: - Write keys

    /// The write key in a request body's `writeKey` field.
    /// - Parameter body: The parsed body (a message, or a batch).
    /// - Returns: The key, or `nil` when the field is missing, not a string or empty.
    public static func writeKey(body: JSONValue) -> String? {
        guard let key = body["writeKey"]?.stringValue, !key.isEmpty else { return nil }
        return key
    }

    // MARK: - Sizes

    /// Checks a request body's size against ``maxRequestBytes``.
    /// - Parameter byteCount: The body's length in bytes.
    /// - Throws: ``ValidationError`` (400) when the body is larger.
    public static func checkRequestSize(_ byteCount: Int) throws(ValidationError) {
        if byteCount > maxRequestBytes {
            throw ValidationError("request body is larger than 500 KB (\(byteCount) bytes)", kind: .badRequest)
        }
    }

    // MARK: - Messages

    /// Checks one message and returns it as Sluice stores it.
    ///
    /// - Parameters:
    ///   - message: The message as the client sent it.
    ///   - type: The route's type (`/v1/track` → `.track`), or `nil` for a batch item, which must carry `type`.
    ///   - receivedAt: When the server received the request.
    ///   - batchSentAt: The batch's `sentAt`, used when the message has none of its own.
    ///   - batchContext: The batch's `context`; the message's own `context` keys win over it.
    /// - Returns: The normalized message: `type`, `messageId`, `receivedAt`, `timestamp` set; `writeKey` removed.
    /// - Throws: ``ValidationError`` (400) naming the first problem: not an object, bad `type`, no `userId` or
    ///   `anonymousId`, missing `event`/`groupId`/`previousId`, a malformed id or timestamp, or larger than 32 KB.
    public static func normalize(
        _ message: consuming JSONValue,
        type: MessageType?,
        receivedAt: Date,
        batchSentAt: Date? = nil,
        batchContext: [String: JSONValue]? = nil
    ) throws(ValidationError) -> JSONValue {
        try normalize(
            message, type: type, receivedAt: Stamp(receivedAt), batchSentAt: batchSentAt.map(Stamp.init), batchContext: batchContext)
    }

    /// A time and its text as messages carry it, worked out once for every message of a batch.
    struct Stamp {
        let date: Date
        let text: JSONValue

        init(_ date: Date) {
            self.date = date
            self.text = .string(Timestamps.format(date))
        }
    }

    /// ``normalize(_:type:receivedAt:batchSentAt:batchContext:)`` with the request's times already written out. A message
    /// passed in as its only reference is changed in place; one that is shared is copied at its first change.
    static func normalize(
        _ message: consuming JSONValue, type: MessageType?, receivedAt: Stamp, batchSentAt: Stamp?, batchContext: [String: JSONValue]?
    ) throws(ValidationError) -> JSONValue {
        guard case .object(var fields) = consume message else {
            throw ValidationError("message must be a JSON object", kind: .badRequest)
        }
        if encodedSize(.object(fields), limit: maxMessageBytes) > maxMessageBytes {
            let size = JSONWriter.encode(.object(fields)).count
            throw ValidationError("message is larger than 32 KB (\(size) bytes)", kind: .badRequest)
        }

        let messageType = try resolveType(fields["type"], route: type)
        fields["type"] = .string(messageType.rawValue)
        fields["writeKey"] = nil

        // Identity.
        let userID = try identifier(fields["userId"], field: "userId")
        let anonymousID = try identifier(fields["anonymousId"], field: "anonymousId")
        if userID == nil && anonymousID == nil {
            throw ValidationError("userId or anonymousId is required", field: "userId", kind: .badRequest)
        }
        if let userID { fields["userId"] = .string(userID) }
        if let anonymousID { fields["anonymousId"] = .string(anonymousID) }

        // What each type needs.
        switch messageType {
        case .track:
            guard let event = fields["event"]?.stringValue, !event.isEmpty else {
                throw ValidationError("event is required for track and must be a non-empty string", field: "event", kind: .badRequest)
            }
        case .group:
            guard let groupID = try identifier(fields["groupId"], field: "groupId") else {
                throw ValidationError("groupId is required for group", field: "groupId", kind: .badRequest)
            }
            fields["groupId"] = .string(groupID)
        case .alias:
            guard let previousID = try identifier(fields["previousId"], field: "previousId") else {
                throw ValidationError("previousId is required for alias", field: "previousId", kind: .badRequest)
            }
            fields["previousId"] = .string(previousID)
        case .identify, .page, .screen:
            break
        }
        for name in ["properties", "traits"] {
            if let value = fields[name], !value.isNull, value.objectValue == nil {
                throw ValidationError("\(name) must be an object", field: name, kind: .badRequest)
            }
        }

        // Context: the batch's, overlaid with the message's own.
        let ownContext = fields["context"]
        if let ownContext, !ownContext.isNull, ownContext.objectValue == nil {
            throw ValidationError("context must be an object", field: "context", kind: .badRequest)
        }
        if let batchContext, !batchContext.isEmpty {
            fields["context"] = .object(batchContext.merging(ownContext?.objectValue ?? [:]) { _, own in own })
        }

        // messageId.
        switch fields["messageId"] {
        case .string(let id) where !id.isEmpty:
            break
        case nil, .null, .string:
            fields["messageId"] = .string(newMessageID())
        default:
            throw ValidationError("messageId must be a string", field: "messageId", kind: .badRequest)
        }

        // Times.
        fields["receivedAt"] = receivedAt.text
        let ownSentAt = try date(fields["sentAt"], field: "sentAt")
        let sentAt = ownSentAt ?? batchSentAt?.date
        if ownSentAt == nil, let batchSentAt { fields["sentAt"] = batchSentAt.text }
        var clientTime: (date: Date, text: JSONValue)?
        if let date = try date(fields["timestamp"], field: "timestamp") {
            clientTime = (date, fields["timestamp"]!)
        } else if let date = try date(fields["originalTimestamp"], field: "originalTimestamp") {
            clientTime = (date, fields["originalTimestamp"]!)
        }
        if let clientTime {
            fields["originalTimestamp"] = clientTime.text
            let corrected = sentAt.map { receivedAt.date.addingTimeInterval(-$0.timeIntervalSince(clientTime.date)) } ?? clientTime.date
            fields["timestamp"] = .string(Timestamps.format(corrected))
        } else {
            fields["timestamp"] = receivedAt.text
        }

        return .object(fields)
    }

    /// Checks every message of a `/v1/batch` body and returns them normalized, in order.
    ///
    /// The batch's `sentAt` and `context` apply to each item as ``normalize(_:type:receivedAt:batchSentAt:batchContext:)``
    /// describes. The batch is taken or refused whole: one bad item refuses all of it. An empty batch is accepted
    /// and yields no messages.
    /// - Parameters:
    ///   - body: The parsed body: `{"batch": [...], "sentAt"?, "context"?, "writeKey"?}`.
    ///   - receivedAt: When the server received the request.
    /// - Returns: The normalized messages.
    /// - Throws: ``ValidationError`` (400): for the body itself (`batch must be an array`, a bad `sentAt` or
    ///   `context`), or for the first bad item, its message prefixed with its index, e.g.
    ///   `batch[3]: userId or anonymousId is required` with field `batch[3].userId`.
    public static func normalizeBatch(_ body: consuming JSONValue, receivedAt: Date) throws(ValidationError) -> [JSONValue] {
        guard case .object(var members) = consume body else {
            throw ValidationError("request body must be a JSON object", kind: .badRequest)
        }
        guard case .array(var items)? = members.removeValue(forKey: "batch") else {
            throw ValidationError("batch must be an array", field: "batch", kind: .badRequest)
        }
        let sentAt = try date(members["sentAt"], field: "sentAt").map(Stamp.init)
        let received = Stamp(receivedAt)
        var context: [String: JSONValue]?
        if let value = members["context"], !value.isNull {
            guard let object = value.objectValue else {
                throw ValidationError("context must be an object", field: "context", kind: .badRequest)
            }
            context = object
        }
        var normalized: [JSONValue] = []
        normalized.reserveCapacity(items.count)
        for index in items.indices {
            // Taken out of the array, so that a body the caller gave up is changed in place rather than copied.
            let item = items[index]
            items[index] = .null
            do {
                normalized.append(try normalize(item, type: nil, receivedAt: received, batchSentAt: sentAt, batchContext: context))
            } catch {
                let field = error.field.map { "batch[\(index)].\($0)" } ?? "batch[\(index)]"
                throw ValidationError("batch[\(index)]: \(error.message)", field: field, kind: .badRequest)
            }
        }
        return normalized
    }

    // MARK: - Helpers

    /// The length of ``JSONWriter``'s encoding of `value`, without building it; once past `limit` the count stops
    /// early and is only known to be larger.
    static func encodedSize(_ value: JSONValue, limit: Int = .max) -> Int {
        var size = 0
        func walk(_ value: JSONValue) {
            guard size <= limit else { return }
            switch value {
            case .null: size += 4
            case .bool(let b): size += b ? 4 : 5
            case .number(let n):
                if !n.isFinite {
                    size += 4
                } else if n.rounded() == n, abs(n) < 1e15 {
                    var digits = n < 0 ? 2 : 1
                    var rest = abs(Int64(n))
                    while rest >= 10 {
                        digits += 1
                        rest /= 10
                    }
                    size += digits
                } else {
                    size += JavaScript.withNumberText(n) { $0.count }
                }
            case .string(let s): size += stringSize(s)
            case .array(let elements):
                size += 2 + max(elements.count - 1, 0)
                for element in elements { walk(element) }
            case .object(let members):
                size += 2 + max(members.count - 1, 0)
                for (key, member) in members {
                    size += stringSize(key) + 1
                    walk(member)
                }
            }
        }
        walk(value)
        return size
    }

    private static func stringSize(_ s: String) -> Int {
        var size = 2
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: size += 2
            case 0x00..<0x20: size += 6
            default: size += 1
            }
        }
        return size
    }

    /// `api-` and 128 bits in 22 base62 characters (two groups of 11): a count of this process's message ids, each
    /// half mixed with a key of its own drawn at start from the system's cryptographic source.
    ///
    /// Ingest fills an id for most messages, and two draws from the system source an id were two `getrandom` calls: 2.6 %
    /// of the server's CPU in end-to-end batched delivery (BENCHMARKS.md, stop 51). The mix (SplitMix64's finalizer) is a
    /// bijection of 64-bit words, so two ids of one process differ in both halves until 2^64 ids. Two processes (or
    /// runs) can make the same id only when their two keys differ by the same amount: at most one chance in 2^64 for a
    /// pair. The ids are not secret (every destination is sent them), and they are not unpredictable: the mix can be
    /// undone, so one id tells the others of its process.
    static func newMessageID() -> String {
        let count = messageIDCount.wrappingAdd(1, ordering: .relaxed).oldValue
        let halves = (mix(messageIDKey.0 &+ count), mix(messageIDKey.1 &+ count))
        return String(unsafeUninitializedCapacity: 26) { buffer in
            for (index, byte) in "api-".utf8.enumerated() { buffer[index] = byte }
            // 11 base62 characters hold 64 bits (62^11 > 2^64); written last digit first.
            func write(_ half: UInt64, at offset: Int) {
                var value = half
                for index in (offset..<offset + 11).reversed() {
                    buffer[index] = Identifier.alphabet[Int(value % 62)]
                    value /= 62
                }
            }
            write(halves.0, at: 4)
            write(halves.1, at: 15)
            return 26
        }
    }

    /// The keys ``newMessageID()`` mixes its count with, drawn once a process.
    private static let messageIDKey: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    /// How many message ids this process has made.
    private static let messageIDCount = Atomic<UInt64>(0)

    /// SplitMix64's finalizer: a bijection of 64-bit words that spreads every input bit over the output.
    static func mix(_ word: UInt64) -> UInt64 {
        var z = word &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func resolveType(_ value: JSONValue?, route: MessageType?) throws(ValidationError) -> MessageType {
        if let route { return route }
        let allowed = MessageType.allCases.map(\.rawValue).joined(separator: ", ")
        guard let value, !value.isNull else {
            throw ValidationError("type is required: one of \(allowed)", field: "type", kind: .badRequest)
        }
        guard let name = value.stringValue, let type = MessageType(rawValue: name) else {
            throw ValidationError("type must be one of \(allowed)", field: "type", kind: .badRequest)
        }
        return type
    }

    /// An id field as a string: `nil` when absent, null or empty; numbers in their JSON form.
    private static func identifier(_ value: JSONValue?, field: String) throws(ValidationError) -> String? {
        switch value {
        case nil, .null:
            return nil
        case .string(let s):
            return s.isEmpty ? nil : s
        case .number(let n):
            return String(decoding: JSONWriter.encode(.number(n)), as: UTF8.self)
        default:
            throw ValidationError("\(field) must be a string or a number", field: field, kind: .badRequest)
        }
    }

    /// A date field: `nil` when absent or null.
    private static func date(_ value: JSONValue?, field: String) throws(ValidationError) -> Date? {
        switch value {
        case nil, .null:
            return nil
        case .string(let s):
            // A date-time without a zone is taken as UTC, as Segment's libraries mean it.
            guard let date = Timestamps.parse(s) ?? (s.count >= 19 && s.count <= 30 ? Timestamps.parse(s + "Z") : nil) else {
                throw ValidationError("\(field) must be an ISO 8601 date-time", field: field, kind: .badRequest)
            }
            return date
        default:
            throw ValidationError("\(field) must be an ISO 8601 date-time", field: field, kind: .badRequest)
        }
    }
}
