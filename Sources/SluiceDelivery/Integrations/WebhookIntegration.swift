import Crypto
import Foundation
import SluiceCore

/// Webhooks (Actions), catalog id `614a3c7d791c91c41bae7599`, action `send`: an HTTP request per event, or a JSON
/// array of events per request when batching is on.
///
/// Subscription settings (each may be a mapping directive, resolved against each event):
/// - `url` (required): an absolute `http` or `https` URL.
/// - `method`: `POST` (default), `PUT` or `PATCH`.
/// - `headers`: an object of header names to values; values that resolve to nothing or `null` are left out,
///   numbers and booleans are sent as text. Names must be HTTP tokens and values printable ASCII, or the event is
///   discarded. `Content-Length`, `Host`, `Transfer-Encoding`, `Connection` and Sluice's own headers cannot be set.
/// - `data`: the body, default `{"@path": "$."}` (the whole event). What resolves to nothing is sent as `{}`.
/// - `enable_batching` (literal boolean, default false) and `batch_size` (literal number; 0 or absent means
///   1,000, Segment's default; at most 4,000): with batching, events are grouped by their resolved URL, method and
///   headers (Segment's batch keys) and each request carries a JSON array of up to `batch_size` `data` values.
///
/// Each request has `Content-Type: application/json` (unless `headers` sets one), `User-Agent: Sluice`, and:
/// - `X-Segment-Message-Id`: the event's `messageId`, on single-event requests. Receivers drop duplicates by it
///   (delivery is at least once).
/// - `X-Segment-Batch-Id`, on batch requests: the first 32 hex digits of the SHA-256 of the events' `messageId`s
///   joined by newlines; the same events in the same order give the same id. Each event's own `messageId` is in
///   its `data` with the default mapping.
/// - `X-Signature`, when the destination's `sharedSecret` is a non-empty string: the lower-case hex HMAC-SHA1 of the
///   exact body bytes with the secret as key, as Segment signs.
///
/// The body is compact JSON with object keys sorted (``JSONWriter``). With `data` the whole event (the default), an
/// event is sent as it was stored, which ingest wrote the same way: its bytes are not parsed and encoded again.
public struct WebhookIntegration: Integration {
    /// The catalog id of Webhooks (Actions).
    public static let metadataID = "614a3c7d791c91c41bae7599"
    /// The header carrying a single event's `messageId`.
    public static let messageIDHeader = "X-Segment-Message-Id"
    /// The header carrying a batch's id.
    public static let batchIDHeader = "X-Segment-Batch-Id"
    /// The header carrying the body's signature.
    public static let signatureHeader = "X-Signature"
    /// The batch size when batching is on and `batch_size` is 0 or absent (Segment's default).
    public static let defaultBatchSize = 1000
    /// The largest batch size (Segment's limit).
    public static let maxBatchSize = 4000
    /// How many requests of one ``deliver(_:to:sender:)`` call are in flight at once (the live client's default
    /// connections per host).
    public static let maxConcurrentRequests = 32

    /// Creates the integration.
    public init() {}

    // MARK: - Integration

    /// 1 without batching; with it, `batch_size` (0 or absent: 1,000; at most 4,000).
    public func batchSize(for target: DeliveryTarget) -> Int {
        let settings = target.subscriptionSettings
        guard settings["enable_batching"]?.boolValue == true else { return 1 }
        guard let size = settings["batch_size"]?.numberValue, size.isFinite, size >= 1 else { return Self.defaultBatchSize }
        return Int(min(size, Double(Self.maxBatchSize)))
    }

    /// Sends the events as ``requests(for:to:)`` plans them, up to ``maxConcurrentRequests`` at a time; every event
    /// of a request gets that request's outcome. An action other than `send` discards every event.
    public func deliver(_ events: [JSONValue], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome] {
        await deliver(events.map(DeliveryEvent.init), to: target, sender: sender)
    }

    /// What the url, method and headers read, and `messageId`; and what `data` reads, unless it is the whole event,
    /// which is sent as stored.
    public func eventMembers(for target: DeliveryTarget) -> Set<String>? {
        guard target.actionSlug == "send" else { return [] }
        let mappings = RequestMappings(target.subscriptionSettings)
        var members: Set<String> = ["messageId"]
        for mapping in [mappings.url, mappings.method, mappings.headers, mappings.data.isWholeEvent ? nil : mappings.data] {
            guard let mapping else { continue }
            guard let read = mapping.eventMembers else { return nil }
            members.formUnion(read)
        }
        return members
    }

    /// ``deliver(_:to:sender:)-([JSONValue],_,_)`` for stored events.
    public func deliver(_ events: [DeliveryEvent], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome] {
        let plan = requests(for: events, to: target)
        var outcomes = Array(repeating: DeliveryOutcome.retryable(reason: "not attempted"), count: events.count)
        var pending: [(indexes: [Int], request: HTTPRequestSpec)] = []
        for planned in plan {
            switch planned.request {
            case .success(let request): pending.append((planned.eventIndexes, request))
            case .failure(let failure): for index in planned.eventIndexes { outcomes[index] = failure.outcome }
            }
        }
        let sent = await concurrentlyMap(pending, limit: Self.maxConcurrentRequests, on: sender.executors) {
            await sender.answer(to: $0.request, carrying: $0.indexes).outcome
        }
        for (request, outcome) in zip(pending, sent) {
            for index in request.indexes { outcomes[index] = outcome }
        }
        return outcomes
    }

    // MARK: - Planning requests

    /// Why an event cannot be sent; its outcome is a discard.
    public struct PlanningFailure: Error, Sendable, Equatable {
        /// The discard, with a reason that names the setting but not its value.
        public var outcome: DeliveryOutcome
    }

    /// One request to send, or why some events cannot be sent, and which events it is for.
    public struct PlannedRequest: Sendable, Equatable {
        /// Indexes into the events given to ``WebhookIntegration/requests(for:to:)``, in order.
        public var eventIndexes: [Int]
        /// The request, or the discard for every event of it.
        public var request: Result<HTTPRequestSpec, PlanningFailure>
    }

    /// The requests that deliver `events` to `target`, without sending anything.
    ///
    /// Without batching, one request per event, in order. With batching, events are grouped by resolved URL,
    /// method and headers (groups in order of first appearance, events in order within them) and each group is cut
    /// into requests of at most ``batchSize(for:)`` events. An event whose settings do not resolve to a usable
    /// request gets a failure of its own.
    public func requests(for events: [JSONValue], to target: DeliveryTarget) -> [PlannedRequest] {
        requests(for: events.map(DeliveryEvent.init), to: target)
    }

    /// ``requests(for:to:)-([JSONValue],_)`` for stored events. A `data` that is the whole event (the default) is
    /// the event's stored bytes, not its value encoded again: the same JSON.
    public func requests(for events: [DeliveryEvent], to target: DeliveryTarget) -> [PlannedRequest] {
        guard target.actionSlug == "send" else {
            let failure = PlanningFailure(outcome: .invalidSettings("unknown action \(target.actionSlug)"))
            return events.indices.map { PlannedRequest(eventIndexes: [$0], request: .failure(failure)) }
        }
        let secret = target.destinationSettings["sharedSecret"]?.stringValue.flatMap { $0.isEmpty ? nil : Signer(secret: $0) }
        let batching = target.subscriptionSettings["enable_batching"]?.boolValue == true
        let size = batchSize(for: target)
        let mappings = RequestMappings(target.subscriptionSettings)

        var planned: [PlannedRequest] = []
        var groups: [RequestKey: [(index: Int, data: EventData, messageID: String)]] = [:]
        var groupOrder: [RequestKey] = []
        for (index, event) in events.enumerated() {
            let resolved: ResolvedEvent
            do {
                resolved = try resolveEvent(event, mappings: mappings)
            } catch {
                planned.append(PlannedRequest(eventIndexes: [index], request: .failure(error)))
                continue
            }
            let messageID = event.value["messageId"]?.stringValue ?? ""
            if batching {
                if groups[resolved.key] == nil { groupOrder.append(resolved.key) }
                groups[resolved.key, default: []].append((index, resolved.data, messageID))
            } else {
                let body = resolved.data.encoded
                var headers = resolved.key.headers
                headers.append((name: Self.messageIDHeader, value: messageID))
                let request = Self.makeRequest(key: resolved.key, headers: headers, body: body, secret: secret)
                planned.append(PlannedRequest(eventIndexes: [index], request: .success(request)))
            }
        }
        for key in groupOrder {
            let members = groups[key]!
            for start in stride(from: 0, to: members.count, by: size) {
                let chunk = members[start..<min(start + size, members.count)]
                var writer = JSONWriter(capacity: 1024 * chunk.count)
                writer.raw("[")
                for (i, member) in chunk.enumerated() {
                    if i > 0 { writer.raw(",") }
                    member.data.write(to: &writer)
                }
                writer.raw("]")
                var headers = key.headers
                headers.append((name: Self.batchIDHeader, value: Self.batchID(messageIDs: chunk.map(\.messageID))))
                let request = Self.makeRequest(key: key, headers: headers, body: writer.bytes, secret: secret)
                planned.append(PlannedRequest(eventIndexes: chunk.map(\.index), request: .success(request)))
            }
        }
        return planned
    }

    // MARK: - Signing and ids

    /// The `X-Signature` value: lower-case hex HMAC-SHA1 of `body` keyed with `secret`'s UTF-8 bytes.
    public static func signature(body: some DataProtocol, secret: String) -> String {
        Signer(secret: secret).signature(body: body)
    }

    /// Signs bodies with one shared secret: the HMAC's keyed state worked out once and copied for each body, rather
    /// than keyed anew for every request of a batch of jobs.
    struct Signer {
        private let keyed: HMAC<Insecure.SHA1>

        init(secret: String) {
            keyed = HMAC(key: SymmetricKey(data: Array(secret.utf8)))
        }

        /// ``WebhookIntegration/signature(body:secret:)`` of `body`.
        func signature(body: some DataProtocol) -> String {
            var hmac = keyed
            hmac.update(data: body)
            return WebhookIntegration.hex(hmac.finalize())
        }
    }

    /// The `X-Segment-Batch-Id` value for events with these message ids, in this order.
    public static func batchID(messageIDs: [String]) -> String {
        String(hex(SHA256.hash(data: Array(messageIDs.joined(separator: "\n").utf8))).prefix(32))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Resolving one event

    /// What groups events into one batch request: Segment's batch keys.
    struct RequestKey: Hashable {
        var url: String
        var method: String
        var headers: [(name: String, value: String)]

        static func == (lhs: RequestKey, rhs: RequestKey) -> Bool {
            lhs.url == rhs.url && lhs.method == rhs.method && lhs.headers.count == rhs.headers.count
                && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(url)
            hasher.combine(method)
            for header in headers {
                hasher.combine(header.name)
                hasher.combine(header.value)
            }
        }
    }

    struct ResolvedEvent {
        var key: RequestKey
        var data: EventData
    }

    /// A request's `data` for one event: a resolved value, or the event's stored bytes when `data` is the whole event.
    enum EventData {
        case value(JSONValue)
        case stored([UInt8])

        var encoded: [UInt8] {
            switch self {
            case .value(let value): JSONWriter.encode(value)
            case .stored(let bytes): bytes
            }
        }

        func write(to writer: inout JSONWriter) {
            switch self {
            case .value(let value): writer.value(value)
            case .stored(let bytes): writer.raw(bytes)
            }
        }
    }

    /// Headers users cannot set: the transport's, and Sluice's own.
    static let reservedHeaders: Set<String> = [
        "content-length", "host", "transfer-encoding", "connection",
        messageIDHeader.lowercased(), batchIDHeader.lowercased(), signatureHeader.lowercased(),
    ]

    static let defaultData: JSONValue = ["@path": "$."]

    /// The headers a request has unless the `headers` setting gives its own.
    static let defaultHeaders: [(name: String, value: String)] = [("Content-Type", "application/json"), ("User-Agent", "Sluice")]

    /// The settings that make a request, compiled once per delivery (``CompiledMapping``); `method` and `headers`
    /// are `nil` when absent or `null`.
    struct RequestMappings {
        let url: CompiledMapping?
        let method: CompiledMapping?
        let headers: CompiledMapping?
        let data: CompiledMapping

        init(_ settings: [String: JSONValue]) {
            url = settings["url"].map(CompiledMapping.init)
            method = settings["method"].flatMap { $0.isNull ? nil : CompiledMapping($0) }
            headers = settings["headers"].flatMap { $0.isNull ? nil : CompiledMapping($0) }
            data = CompiledMapping(settings["data"] ?? WebhookIntegration.defaultData)
        }
    }

    func resolveEvent(_ stored: DeliveryEvent, mappings: RequestMappings) throws(PlanningFailure) -> ResolvedEvent {
        let event = stored.value
        // url
        guard let url = mappings.url?.resolve(in: event)?.stringValue, !url.isEmpty else {
            throw PlanningFailure(outcome: .invalidSettings("url is required"))
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty
        else {
            throw PlanningFailure(outcome: .invalidSettings("url must be an absolute http or https URL"))
        }

        // method
        var method = "POST"
        if let setting = mappings.method {
            guard let value = setting.resolve(in: event)?.stringValue?.uppercased(), ["POST", "PUT", "PATCH"].contains(value) else {
                throw PlanningFailure(outcome: .invalidSettings("method must be POST, PUT or PATCH"))
            }
            method = value
        }

        // headers
        var headers: [(name: String, value: String)] = []
        if let setting = mappings.headers {
            guard let object = setting.resolve(in: event)?.objectValue else {
                throw PlanningFailure(outcome: .invalidSettings("headers must be an object"))
            }
            for name in object.keys.sorted() {
                guard HTTPField.isToken(name) else {
                    throw PlanningFailure(outcome: .invalidSettings("header names must be HTTP tokens"))
                }
                if Self.reservedHeaders.contains(name.lowercased()) { continue }
                let text: String
                switch object[name]! {
                case .string(let s): text = s
                case .number(let n): text = String(decoding: JSONWriter.encode(.number(n)), as: UTF8.self)
                case .bool(let b): text = b ? "true" : "false"
                case .null: continue
                case .array, .object:
                    throw PlanningFailure(outcome: .invalidSettings("header \(name) must be a string"))
                }
                guard Self.isPrintableASCII(text) else {
                    throw PlanningFailure(outcome: .invalidSettings("header \(name) must be printable ASCII"))
                }
                headers.append((name, text))
            }
        }
        if headers.isEmpty {
            headers = Self.defaultHeaders  // shared: no array made for each event
        } else {
            for header in Self.defaultHeaders where !headers.contains(where: { $0.name.lowercased() == header.name.lowercased() }) {
                headers.append(header)
            }
        }

        // data: the whole event as stored when it fits the mappings' budget (its one byte for the directive, and the
        // event's encoded size), as resolving it would give.
        let data: EventData =
            mappings.data.isWholeEvent && stored.stored.count < Mapping.maxResolvedBytes
            ? .stored(stored.stored) : .value(mappings.data.resolve(in: event) ?? [:])
        return ResolvedEvent(key: RequestKey(url: url, method: method, headers: headers), data: data)
    }

    private static func makeRequest(
        key: RequestKey,
        headers: [(name: String, value: String)],
        body: [UInt8],
        secret: Signer?
    ) -> HTTPRequestSpec {
        var headers = headers
        if let secret { headers.append((name: signatureHeader, value: secret.signature(body: body))) }
        return HTTPRequestSpec(method: key.method, url: key.url, headers: headers, body: body)
    }

    /// Visible ASCII, spaces and tabs: nothing that could end a header line.
    private static func isPrintableASCII(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || (0x20...0x7E).contains($0) }
    }
}
