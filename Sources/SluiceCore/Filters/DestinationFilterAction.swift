import Foundation

/// What a destination filter does to an event its `if` matches (Segment's `DestinationFilterActionV1`).
///
/// For example, `{"type": "SAMPLE", "percent": 0.1, "path": "userId"}` keeps one user in ten.
public enum DestinationFilterAction: Sendable, Hashable {
    /// Don't deliver the event.
    case drop
    /// Deliver the event with probability `percent` (0 to 1). With `path`, the decision is a function of the value at
    /// that dotted path (`userId`, `properties.sessionId`), so the same value always gets the same decision.
    case sample(percent: Double, path: String?)
    /// Remove the listed keys from the named objects: `properties`, `traits`, `context`, or `""` for the top level.
    /// A dotted key (`products.price`) removes `price` from the object `products`, or from each object of the list
    /// `products`, when the object holds no key with the dot itself.
    case dropProperties(fields: [String: [String]])
    /// Keep only the listed keys in the named objects (`properties`, `traits`, `context`, `""`); objects not named
    /// are untouched. Keys are compared whole, dots included.
    case allowProperties(fields: [String: [String]])

    /// The objects that ``dropProperties(fields:)`` and ``allowProperties(fields:)`` may name.
    public static let fieldObjects: Set<String> = ["properties", "traits", "context", ""]

    /// Reads one action from its JSON form {"type": "DROP"|"SAMPLE"|"DROP_PROPERTIES"|"ALLOW_PROPERTIES", "percent"?, "path"?, "fields"?}.
    ///
    /// A key set to JSON `null` counts as absent, as SDKs that serialize every optional field send it.
    ///
    /// - Parameters:
    ///   - json: the action as received.
    ///   - index: its position in the request's `actions`, for the field name in errors.
    /// - Throws: ``ValidationError`` (a 422) naming the field, e.g. `actions[1].percent`, for: not an object, unknown or
    ///   missing type, percent missing/not a number/outside [0,1] for SAMPLE, path not a string, fields missing or not a
    ///   map of those four keys to lists of strings for the two property actions, keys that do not belong to the type.
    public init(json: JSONValue, index: Int) throws(ValidationError) {
        let field = "actions[\(index)]"
        guard case .object(let object) = json else {
            throw ValidationError("\(field) must be an object, found \(json.typeName)", field: field)
        }
        let types = ["DROP", "SAMPLE", "DROP_PROPERTIES", "ALLOW_PROPERTIES"]
        let allowed: Set<String>
        switch object["type"] ?? .null {
        case .null:
            throw ValidationError("\(field).type is required: one of \(types.joined(separator: ", "))", field: "\(field).type")
        case .string("DROP"):
            allowed = ["type"]
            self = .drop
        case .string("SAMPLE"):
            allowed = ["type", "percent", "path"]
            let percentValue = object["percent"] ?? .null
            guard case .number(let percent) = percentValue, (0...1).contains(percent) else {
                let problem = percentValue.isNull ? "is required for SAMPLE" : "must be"
                throw ValidationError("\(field).percent \(problem): a number from 0 to 1", field: "\(field).percent")
            }
            var path: String?
            switch object["path"] ?? .null {
            case .null: path = nil
            case .string(let s): path = s
            default: throw ValidationError("\(field).path must be a string", field: "\(field).path")
            }
            self = .sample(percent: percent, path: path)
        case .string("DROP_PROPERTIES"):
            allowed = ["type", "fields"]
            self = .dropProperties(fields: try Self.readFields(object["fields"], field: "\(field).fields", type: "DROP_PROPERTIES"))
        case .string("ALLOW_PROPERTIES"):
            allowed = ["type", "fields"]
            self = .allowProperties(fields: try Self.readFields(object["fields"], field: "\(field).fields", type: "ALLOW_PROPERTIES"))
        default:
            throw ValidationError("\(field).type must be one of \(types.joined(separator: ", "))", field: "\(field).type")
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) where !allowed.contains(key) && !value.isNull {
            throw ValidationError(
                "\(field).\(key) does not apply to a \(object["type"]?.stringValue ?? "") action", field: "\(field).\(key)")
        }
    }

    private static func readFields(_ json: JSONValue?, field: String, type: String) throws(ValidationError) -> [String: [String]] {
        let shape = "a map from properties, traits, context or \"\" to lists of keys"
        guard let json, !json.isNull else {
            throw ValidationError("\(field) is required for \(type): \(shape)", field: field)
        }
        guard case .object(let object) = json else {
            throw ValidationError("\(field) must be \(shape), found \(json.typeName)", field: field)
        }
        var fields: [String: [String]] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            let keyField = "\(field).\(key)"
            guard fieldObjects.contains(key) else {
                throw ValidationError("\(keyField) is not allowed: \(field) must be \(shape)", field: keyField)
            }
            guard case .array(let elements) = value else {
                throw ValidationError("\(keyField) must be a list of keys, found \(value.typeName)", field: keyField)
            }
            var keys: [String] = []
            for (i, element) in elements.enumerated() {
                guard case .string(let s) = element else {
                    throw ValidationError(
                        "\(keyField)[\(i)] must be a string, found \(element.typeName)", field: "\(keyField)[\(i)]")
                }
                keys.append(s)
            }
            fields[key] = keys
        }
        return fields
    }

    /// The JSON form, as Segment's API returns it (type plus only the keys that apply).
    public var json: JSONValue {
        switch self {
        case .drop:
            return ["type": "DROP"]
        case .sample(let percent, let path):
            var object: [String: JSONValue] = ["type": "SAMPLE", "percent": .number(percent)]
            if let path { object["path"] = .string(path) }
            return .object(object)
        case .dropProperties(let fields):
            return ["type": "DROP_PROPERTIES", "fields": Self.fieldsJSON(fields)]
        case .allowProperties(let fields):
            return ["type": "ALLOW_PROPERTIES", "fields": Self.fieldsJSON(fields)]
        }
    }

    private static func fieldsJSON(_ fields: [String: [String]]) -> JSONValue {
        .object(fields.mapValues { .array($0.map(JSONValue.string)) })
    }
}
