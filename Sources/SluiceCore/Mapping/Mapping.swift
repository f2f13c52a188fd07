import Foundation

/// Mapping directives: how a subscription's field settings take their values from each event (Segment's mapping kit).
///
/// A mapping is any JSON value. Plain values stand for themselves; objects and arrays are mapped member by member;
/// an object whose keys start with `@` is a directive:
///
/// | directive | argument | resolves to |
/// | --- | --- | --- |
/// | `{"@path": "$.properties.revenue"}` | a ``MappingPath``, or a directive giving one | the value there |
/// | `{"@template": "Hi {{traits.name}}"}` | a string, or a directive giving one | the string, placeholders filled |
/// | `{"@literal": value}` | any mapping | the argument, itself mapped |
/// | `{"@if": {"exists": m, "then": a, "else": b}}` | `exists` or `blank`, and `then` and/or `else` | `a` or `b` |
/// | `{"@arrayPath": [path, shape]}` | a path (or directive) and an optional shape | each element mapped through `shape` |
/// | `{"@case": {"operator": "lower", "value": m}}` | `lower` or `upper`, and a mapping | the string lower- or upper-cased |
/// | `{"@replace": {"pattern": "-", "replacement": " ", "value": m}}` | literal patterns (≤ 10 characters) | the string with them replaced |
/// | `{"@flatten": {"separator": ".", "value": m}}` | a separator and a mapping | one object with joined keys |
/// | `{"@json": {"mode": "encode", "value": m}}` | `encode` or `decode`, and a mapping | the value as JSON text, or parsed |
/// | `{"@merge": {"direction": "right", "objects": [a, b]}}` | a direction and objects | the objects merged |
/// | `{"@transform": {"apply": a, "mapping": m}}` | two mappings | `m` resolved against what `a` gives |
/// | `{"@excludeWhenNull": m}` | a mapping | nothing when `m` is `null`, else `m` without `null` members |
///
/// Validate once when settings are saved (``validate(_:field:)``), resolve for each event at delivery
/// (``resolve(_:in:)``). docs/mapping.md has the details and where Sluice differs from Segment.
public enum Mapping {
    /// The directives Sluice resolves: every directive of Segment's mapping kit but `@liquid`.
    public static let supportedDirectives = [
        "@path", "@template", "@literal", "@if", "@arrayPath", "@case", "@replace", "@flatten", "@json", "@merge", "@transform",
        "@excludeWhenNull",
    ]

    /// Directives of Segment's mapping kit that Sluice refuses with a message saying so, rather than as unknown.
    public static let unsupportedSegmentDirectives = ["@liquid"]

    /// A key that Segment's editor stores beside a directive's key; accepted there and ignored.
    static let metadataKey = "_metadata"

    /// Whether a value is a directive object: an object with at least one key starting with `@`.
    public static func isDirective(_ value: JSONValue) -> Bool {
        guard case .object(let members) = value else { return false }
        return members.keys.contains { $0.hasPrefix("@") }
    }

    /// The directive's name and argument, when the object is a well-formed directive.
    static func directive(_ members: [String: JSONValue]) -> (name: String, argument: JSONValue)? {
        var found: (String, JSONValue)?
        for (key, value) in members {
            if key.hasPrefix("@") {
                guard found == nil else { return nil }
                found = (key, value)
            } else if key != metadataKey {
                return nil
            }
        }
        return found
    }
}
