import Foundation
import SluiceCore

/// A request's query, decoded: keys and values percent-decoded, `+` read as a space.
///
/// Hummingbird leaves keys encoded; Segment's SDKs encode bracket keys
/// (`pagination%5Bcount%5D`), so Sluice decodes both sides itself.
struct Query {
    private(set) var pairs: [(key: String, value: String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(kv[0])
            let value = kv.count > 1 ? Self.decode(kv[1]) : ""
            pairs.append((key, value))
        }
    }

    private static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    /// The first value of `key`.
    subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }

    /// The pagination input in any of the three encodings Segment's clients use.
    ///
    /// Dot (`pagination.count`), bracket (`pagination[count]`) and one JSON object
    /// (`pagination={"count":3}`) are all read. Every list operation requires it (as Segment's document
    /// marks it): none given is a 422.
    /// - Throws: ``ValidationError`` naming `pagination`, `pagination.count` or `pagination.cursor`.
    func pagination() throws(ValidationError) -> PageRequest {
        var count = self["pagination.count"] ?? self["pagination[count]"]
        var cursor = self["pagination.cursor"] ?? self["pagination[cursor]"]
        if let json = self["pagination"] {
            guard case .object(let object)? = try? JSONValue.parse(json) else {
                throw ValidationError("pagination must be an object such as {\"count\": 10}", field: "pagination")
            }
            switch object["count"] {
            case .number(let n)?: count = n.rounded() == n && abs(n) < 1e9 ? String(Int(n)) : String(n)
            case .string(let s)?: count = s
            case nil, .null?: break
            case let other?: throw ValidationError("pagination.count must be a number, got \(other.typeName)", field: "pagination.count")
            }
            switch object["cursor"] {
            case .string(let s)?: cursor = s
            case nil, .null?: break
            case let other?: throw ValidationError("pagination.cursor must be a string, got \(other.typeName)", field: "pagination.cursor")
            }
        }
        if count == nil, cursor == nil {
            throw ValidationError("pagination is required, e.g. pagination.count=10", field: "pagination")
        }
        return try PageRequest(count: count, cursor: cursor)
    }
}
