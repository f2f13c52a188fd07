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

extension Query {
    /// The keys that carry pagination input, in any of the three encodings.
    static let paginationKeys = ["pagination", "pagination.count", "pagination[count]", "pagination.cursor", "pagination[cursor]"]

    /// Whether any pagination input was given.
    var hasPagination: Bool { Self.paginationKeys.contains { self[$0] != nil } }

    /// The values of an array parameter in the encodings Segment's clients use: repeated (`groupBy=a&groupBy=b`),
    /// indexed (`groupBy.0=a`, the Go SDK; `groupBy[0]=a`), `groupBy[]=a`, or one JSON array (`groupBy=["a","b"]`).
    /// A plain value is a comma-delimited list, as Segment documents `groupBy`.
    func list(_ name: String) -> [String] {
        var values: [String] = []
        for (key, value) in pairs where key == name || key == name + "[]" || Self.isIndexed(key, name: name) {
            if key == name, value.hasPrefix("["), case .array(let items)? = try? JSONValue.parse(value) {
                values += items.compactMap(\.stringValue)
            } else {
                values += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        return values.filter { !$0.isEmpty }
    }

    /// An object of string lists (the Delivery Overview's `filter`) in the encodings Segment's clients use:
    /// `filter[eventName].0=a` (the Go SDK), `filter[eventName][0]=a`, `filter[eventName][]=a`, `filter[eventName]=a`,
    /// `filter.eventName=a`, or one JSON object (`filter={"eventName":["a"]}`).
    /// - Throws: ``ValidationError`` naming `name` when the JSON form is not an object of strings or string lists.
    func object(_ name: String) throws(ValidationError) -> [String: [String]] {
        var object: [String: [String]] = [:]
        for (key, value) in pairs {
            if key == name {
                guard case .object(let fields)? = try? JSONValue.parse(value) else {
                    throw ValidationError("\(name) must be an object such as {\"discardReason\": [\"EXPIRED\"]}", field: name)
                }
                for (field, item) in fields {
                    switch item {
                    case .string(let s): object[field, default: []].append(s)
                    case .array(let items) where items.allSatisfy({ $0.stringValue != nil }):
                        object[field, default: []] += items.compactMap(\.stringValue)
                    default: throw ValidationError("\(name).\(field) must be a list of strings", field: "\(name).\(field)")
                    }
                }
                continue
            }
            let field: Substring
            let rest: Substring
            if key.hasPrefix(name + "["), let close = key.firstIndex(of: "]") {
                field = key[key.index(key.startIndex, offsetBy: name.count + 1)..<close]
                rest = key[key.index(after: close)...]
            } else if key.hasPrefix(name + ".") {
                let tail = key.dropFirst(name.count + 1)
                let end = tail.firstIndex { $0 == "." || $0 == "[" } ?? tail.endIndex
                field = tail[..<end]
                rest = tail[end...]
            } else {
                continue
            }
            guard !field.isEmpty, rest.isEmpty || rest == "[]" || Self.isIndex(rest) else { continue }
            object[String(field), default: []].append(value)
        }
        return object
    }

    private static func isIndexed(_ key: String, name: String) -> Bool {
        key.hasPrefix(name) && key.count > name.count && isIndex(key.dropFirst(name.count))
    }

    /// `.N` or `[N]`.
    private static func isIndex(_ text: Substring) -> Bool {
        if text.hasPrefix("."), text.count > 1 { return text.dropFirst().allSatisfy(\.isNumber) }
        if text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 { return text.dropFirst().dropLast().allSatisfy(\.isNumber) }
        return false
    }
}
