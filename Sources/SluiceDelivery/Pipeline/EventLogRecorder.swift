import Foundation
import SluiceCore
import Synchronization

/// Hears the requests of one ``Integration/deliver(_:to:sender:)`` call and gives each event the request that
/// carried it, as the event log keeps it (#17): no headers, secret setting values replaced by `[redacted]`, bodies cut
/// at ``EventLogSettings/maxBodyBytes`` (or left out), a batch's body kept once, on its first event.
final class EventLogRecorder: Sendable {
    private let sent = Mutex<[SentRequest]>([])
    private let redactor: Redactor
    private let keepBodies: Bool

    init(redactor: Redactor, keepBodies: Bool) {
        self.redactor = redactor
        self.keepBodies = keepBodies
    }

    /// `sender`, telling this recorder of what it sends.
    func observing(_ sender: DeliverySender) -> DeliverySender {
        var sender = sender
        sender.observe = { request in self.sent.withLock { $0.append(request) } }
        return sender
    }

    /// The request that carried each of `count` events (the last one sent for it), or `nil` for an event that none did.
    func requests(events count: Int) -> [LoggedRequest?] {
        var requests = [LoggedRequest?](repeating: nil, count: count)
        // One random base a call, then a number a request: unique across processes without a system call a request.
        var generator = SystemRandomNumberGenerator()
        let base = String(generator.next() as UInt64, radix: 16)
        for (number, sent) in sent.withLock({ $0 }).enumerated() {
            let key = "\(base)-\(number)"
            let first = sent.eventIndexes.min()
            for index in sent.eventIndexes where requests.indices.contains(index) {
                requests[index] = logged(sent, key: key, withBody: index == first)
            }
        }
        return requests
    }

    private func logged(_ sent: SentRequest, key: String, withBody: Bool) -> LoggedRequest {
        var status: Int?
        var response: [UInt8]?
        if case .response(let answer) = sent.answer {
            status = answer.status
            if keepBodies { response = Array(redactor.redact(answer.bodyPrefix).prefix(EventLogSettings.maxResponseBytes)) }
        }
        var body: [UInt8]?
        var truncated = false
        if keepBodies, withBody {
            let clean = redactor.redact(sent.request.body)
            truncated = clean.count > EventLogSettings.maxBodyBytes
            body = Array(clean.prefix(EventLogSettings.maxBodyBytes))
        }
        let (seconds, attoseconds) = sent.duration.components
        return LoggedRequest(
            key: key, method: sent.request.method, url: String(decoding: redactor.redact(Array(sent.request.url.utf8)), as: UTF8.self),
            events: sent.eventIndexes.count, body: body, bodyTruncated: truncated, status: status, response: response,
            durationMillis: Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Replaces the values of a destination's secret settings in bytes by `[redacted]`: what keeps an API key that an
/// integration puts in a URL or a body (Amplitude's `api_key`) out of the event log.
struct Redactor: Sendable {
    /// Secret values shorter than this are left alone: replacing every `1` or `ab` would make the log unreadable, and
    /// a real credential is longer.
    static let minimumLength = 4
    static let replacement = Array("[redacted]".utf8)

    /// The values to replace, longest first, as UTF-8 and as they appear inside a JSON string.
    private let secrets: [[UInt8]]

    /// - Parameters:
    ///   - settings: The destination's settings, in clear.
    ///   - isSecret: Whether a setting is secret (the catalog's ``SecretNames``).
    init(settings: [String: JSONValue], isSecret: (String) -> Bool) {
        var values = Set<[UInt8]>()
        for (name, value) in settings where isSecret(name) {
            guard case .string(let text) = value, text.utf8.count >= Self.minimumLength else { continue }
            values.insert(Array(text.utf8))
            values.insert(Array(JSONWriter.encode(.string(text)).dropFirst().dropLast()))
        }
        secrets = values.sorted { $0.count > $1.count }
    }

    func redact(_ bytes: [UInt8]) -> [UInt8] {
        guard !secrets.isEmpty else { return bytes }
        var result = bytes
        for secret in secrets { result = Self.replace(secret, in: result) }
        return result
    }

    private static func replace(_ needle: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        guard haystack.count >= needle.count, let head = needle.first else { return haystack }
        var output: [UInt8] = []
        var i = 0
        var copied = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == head, haystack[i..<(i + needle.count)].elementsEqual(needle) {
                output += haystack[copied..<i]
                output += replacement
                i += needle.count
                copied = i
            } else {
                i += 1
            }
        }
        guard copied > 0 else { return haystack }
        output += haystack[copied...]
        return output
    }
}
