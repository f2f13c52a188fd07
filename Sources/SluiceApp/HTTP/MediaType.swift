import Foundation
import Hummingbird

/// The JSON media types of Segment's Public API, and the negotiation between them.
///
/// Requests may send any of them as `Content-Type`; responses carry the first type
/// in `Accept` (by quality) that the operation serves, named in `Content-Type`.
public enum MediaType: String, Sendable, CaseIterable {
    case json = "application/json"
    case v1 = "application/vnd.segment.v1+json"
    case v1beta = "application/vnd.segment.v1beta+json"
    case v1alpha = "application/vnd.segment.v1alpha+json"

    /// What most operations serve.
    static let standard: [MediaType] = [.json, .v1, .v1beta, .v1alpha]
    /// Subscriptions are alpha only.
    static let alpha: [MediaType] = [.json, .v1alpha]
    /// Delivery metrics are beta.
    static let beta: [MediaType] = [.json, .v1beta, .v1alpha]
    /// The Delivery Overview: as Segment's SDKs ask for it.
    static let overview: [MediaType] = [.json, .v1beta]

    /// Picks the response type from an `Accept` header.
    ///
    /// No header, `*/*` or `application/*` get `application/json`. Returns `nil` when
    /// the header names only types the operation does not serve (406).
    static func negotiate(accept: String?, offered: [MediaType]) -> MediaType? {
        guard let accept, !accept.trimmingOptionalWhitespace.isEmpty else { return .json }
        // What most clients send: one type, exactly as named.
        if let named = MediaType(rawValue: accept), offered.contains(named) { return named }
        var best: (type: MediaType, q: Double, order: Int)?
        for (order, part) in accept.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";")
            let name = pieces.first.map { $0.trimmingOptionalWhitespace.lowercased() } ?? ""
            var q = 1.0
            for parameter in pieces.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1).map(\.trimmingOptionalWhitespace)
                if kv.count == 2, kv[0] == "q", let value = Double(kv[1]) { q = value }
            }
            guard q > 0 else { continue }
            let candidate: MediaType?
            if name == "*/*" || name == "application/*" {
                candidate = offered.first
            } else {
                candidate = offered.first { $0.rawValue == name }
            }
            if let candidate, best == nil || q > best!.q {
                best = (candidate, q, order)
            }
        }
        return best?.type
    }

    /// Whether a request `Content-Type` is JSON we read: any of these, with any parameters (charset).
    static func isAcceptableBody(contentType: String?) -> Bool {
        guard let contentType else { return true }  // no type given: read it as JSON
        let name = contentType.split(separator: ";").first.map { $0.trimmingOptionalWhitespace.lowercased() } ?? ""
        return MediaType(rawValue: name) != nil
    }
}
