import Foundation

/// The JSON shape a destination option's catalog `type` accepts.
///
/// | catalog type | accepts |
/// | --- | --- |
/// | `string`, `password`, `text`, `color`, `select` | a string |
/// | `boolean` | a boolean |
/// | `number` | a number |
/// | `array` | an array (elements unchecked) |
/// | `map` | an object (values unchecked) |
/// | `text-map` | an object whose values are all strings |
/// | `mixed`, and any type the catalog may add later | anything |
///
/// `text-map` is the catalog's key-to-text mapping (Amplitude `appendFieldsToEventProps`: `context.page.title` →
/// `pageTitle`), so its values must be strings. `map` values are left free: some `map` options take lists or
/// choices as values. Every `map` and `text-map` default in the catalog is `{}`, so neither rule rejects a default.
/// Type names are compared case-insensitively. `select` values are not checked against choices: the catalog model
/// does not carry them.
public enum SettingKind: Sendable, Equatable {
    case string
    case boolean
    case number
    case array
    case object
    case textMap
    case any

    /// The shape for a catalog option type (`string`, `select`, `text-map`, ...).
    public init(optionType: String) {
        switch optionType.lowercased() {
        case "string", "password", "text", "color", "select": self = .string
        case "boolean": self = .boolean
        case "number": self = .number
        case "array": self = .array
        case "map": self = .object
        case "text-map": self = .textMap
        default: self = .any
        }
    }

    /// What is wrong with `value` for this shape, phrased to follow the setting's name
    /// (`must be a string, got number`), or `nil` when it fits.
    public func problem(with value: JSONValue) -> String? {
        switch (self, value) {
        case (.any, _), (.string, .string), (.boolean, .bool), (.number, .number), (.array, .array), (.object, .object):
            return nil
        case (.textMap, .object(let members)):
            guard let (key, bad) = members.sorted(by: { $0.key < $1.key }).first(where: { $0.value.stringValue == nil }) else {
                return nil
            }
            return "must map each key to a string, got \(bad.typeName) for key \"\(key)\""
        default:
            return "must be \(expected), got \(value.typeName)"
        }
    }

    /// The expected shape, with its article: `a string`, `an object`.
    public var expected: String {
        switch self {
        case .string: "a string"
        case .boolean: "a boolean"
        case .number: "a number"
        case .array: "an array"
        case .object: "an object"
        case .textMap: "an object of strings"
        case .any: "any value"
        }
    }
}
