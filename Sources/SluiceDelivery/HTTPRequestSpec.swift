import Foundation
import SluiceCore

/// One HTTP request an integration wants sent: everything the sender needs, nothing of the event model.
///
/// Integrations build these; a ``DeliverySender`` sends them. Keeping the request a plain value lets tests
/// record exactly what would go on the wire without a network.
public struct HTTPRequestSpec: Sendable, Equatable {
    /// The method, upper case: `POST`, `PUT` or `PATCH` for webhooks.
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// Header fields in the order they are sent; names keep the case they were given.
    public var headers: [(name: String, value: String)]
    /// The exact body bytes (what a signature was computed over).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared without regard to case.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    public static func == (lhs: HTTPRequestSpec, rhs: HTTPRequestSpec) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// What came back for an ``HTTPRequestSpec``: the status, its `Retry-After`, and at most the start of the body
/// (for logs, and for integrations that read per-event results from a batch answer).
public struct HTTPResponseSpec: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The first bytes of the response body; senders may keep none.
    public var bodyPrefix: [UInt8]
    /// The `Retry-After` header in seconds from now (``retryAfterSeconds(_:now:)``), when it had a usable one.
    public var retryAfter: Double?

    /// Creates a response.
    public init(status: Int, bodyPrefix: [UInt8] = [], retryAfter: Double? = nil) {
        self.status = status
        self.bodyPrefix = bodyPrefix
        self.retryAfter = retryAfter
    }

    /// The outcome of the answer by its status and `Retry-After` alone (``DeliveryOutcome/classify(status:retryAfter:)``).
    public var outcome: DeliveryOutcome {
        .classify(status: status, retryAfter: retryAfter)
    }

    /// Reads a `Retry-After` value (RFC 9110 §10.2.3): whole seconds, or an HTTP date (a date in the past is 0).
    /// `nil` for anything else.
    public static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return Double(trimmed.prefix(12))
        }
        // Rare (servers send seconds), so a formatter per call rather than a shared mutable one.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// What may stand in a header field (RFC 9110 §5): checked before anything is sent.
enum HTTPField {
    /// A `token` (§5.6.2): what a field name and a method are made of.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// A field value with no control character but horizontal tab (§5.5: CR and LF would end the field).
    static func isValue(_ text: String) -> Bool {
        !text.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }
}
