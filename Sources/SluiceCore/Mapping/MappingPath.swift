import Foundation
import Synchronization

/// The path of an `@path` directive or a `{{…}}` placeholder: where in the event a value is read.
///
/// Read as Segment's mapping kit reads it, so that every path Segment accepts means the same in Sluice:
/// - An optional leading `$.` (or `$` before `[`) stands for the event; `$.`, `$` and the empty path are the whole event.
/// - The rest is split into keys at `.`, `[` and `]`; empty keys are skipped (`$.a..b` is `$.a.b`, as in Segment,
///   and the catalog relies on it). Keys may hold spaces: `$.integrations.Actions Amplitude.session_id`.
/// - A key that is a canonical decimal (`0`, `12`) selects an array element: `$.products[0].sku` and
///   `$.products.0.sku` are the same path.
/// - Sluice extension: `['a.b']` or `["a b"]` names a key that holds `.`, `[` or `]` (`\'`, `\"` and `\\` escape).
///   Segment reads such a key with its quotes and finds nothing.
///
/// Not supported: wildcards (`[*]`, `..` as recursive descent), filters, slices and negative indexes.
public struct MappingPath: Sendable, Hashable, CustomStringConvertible {
    /// The path as written.
    public let source: String
    /// The keys from the event's root; empty for the whole event.
    public let keys: [String]

    /// Why a path could not be read, and at which 1-based character.
    public struct ParseError: Error, Sendable, Equatable {
        /// What was expected, e.g. `expected a closing ' at character 9`.
        public var message: String
        /// The 1-based character.
        public var position: Int
    }

    /// Parses a path.
    ///
    /// - Throws: ``ParseError`` for a quoted key that is not closed (`$['a b`) or not followed by `]`.
    public init(parsing source: String) throws(ParseError) {
        self.source = source
        let s = Array(source.unicodeScalars)
        var i = 0
        if s.first == "$" {
            if s.count == 1 || s[1] == "." {
                i = min(2, s.count)
            } else if s[1] == "[" {
                i = 1
            }
        }
        var keys: [String] = []
        var key = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]
            if c == "[", i + 1 < s.count, s[i + 1] == "'" || s[i + 1] == "\"" {
                if !key.isEmpty { keys.append(String(key)) }
                key = String.UnicodeScalarView()
                let quote = s[i + 1]
                i += 2
                while true {
                    guard i < s.count else { throw ParseError(message: "expected a closing \(quote) at character \(i + 1)", position: i + 1) }
                    if s[i] == quote { break }
                    if s[i] == "\\", i + 1 < s.count, s[i + 1] == quote || s[i + 1] == "\\" { i += 1 }
                    key.append(s[i])
                    i += 1
                }
                i += 1
                guard i < s.count, s[i] == "]" else { throw ParseError(message: "expected \"]\" at character \(i + 1)", position: i + 1) }
                keys.append(String(key))
                key = String.UnicodeScalarView()
            } else if c == "." || c == "[" || c == "]" {
                if !key.isEmpty { keys.append(String(key)) }
                key = String.UnicodeScalarView()
            } else {
                key.append(c)
            }
            i += 1
        }
        if !key.isEmpty { keys.append(String(key)) }
        self.keys = keys
    }

    /// The path as written.
    public var description: String { source }

    /// The path parsed from `source`, or `nil` when it does not parse, from a cache of the paths seen last.
    ///
    /// Mappings are resolved per event and name the same few paths for every event of a subscription; parsing
    /// each one again was a third of the cost of resolving Amplitude's Track Calls preset. The cache holds at
    /// most ``cacheLimit`` paths and starts again when full.
    public static func cached(_ source: String) -> MappingPath? {
        if let hit = cache.withLock({ $0[source] }) { return hit }
        let parsed = try? MappingPath(parsing: source)
        cache.withLock { paths in
            if paths.count >= cacheLimit { paths.removeAll(keepingCapacity: true) }
            paths[source] = .some(parsed)
        }
        return parsed
    }

    /// The most paths ``cached(_:)`` keeps.
    public static let cacheLimit = 4096

    private static let cache = Mutex<[String: MappingPath?]>([:])

    /// The value at this path, or `nil` when the event has nothing there.
    public func value(in root: JSONValue) -> JSONValue? {
        var current = root
        for key in keys {
            switch current {
            case .object(let object):
                guard let next = object[key] else { return nil }
                current = next
            case .array(let array):
                guard let index = JavaScript.arrayIndex(key), index < array.count else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}
