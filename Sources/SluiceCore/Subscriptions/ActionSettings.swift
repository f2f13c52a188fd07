import Foundation

/// The rules for a subscription's `settings`: the values of its action's fields, each a literal or a mapping directive.
///
/// Everything here is pure: the HTTP layer passes the action's fields from the catalog, the settings to save and the
/// subscription's resulting `enabled` flag, and stores what comes back. For an update, merge the request's settings
/// into the stored ones first and pass the result.
///
/// The rules, with the choices Segment does not document:
/// - Every key must be a field of the action (`fieldKey`); any other key is refused, so that a typo cannot be
///   stored and silently ignored at delivery. (Some of the catalog's presets carry keys their action does not list,
///   such as `batch_size`: Segment's actions have fields its public catalog leaves out. Pass
///   ``UnknownKeys/keep`` to store such keys unchecked instead.)
/// - A value is either a mapping directive (``Mapping``; checked with ``Mapping/validate(_:field:)``, whatever the
///   field's type, since its result is only known per event) or a literal of the field's type:
///   STRING, TEXT, PASSWORD and HIDDEN take a string; NUMBER a number; INTEGER a whole number; BOOLEAN a boolean;
///   DATETIME an ISO 8601 string (`2024-05-01`, `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123+02:00`);
///   OBJECT an object, whose members may themselves be directives. A field type the catalog may add later
///   takes any value.
/// - A `multiple` field takes an array (or one directive); each element is a literal of the field's type or a directive.
/// - Where the field has `choices` (an array of `{label, value}` objects, or of plain values), each literal must be
///   one of the values.
/// - `null` is accepted only where the field has `allowNull` (also as an element of a `multiple` field).
/// - A value equal to the field's catalog default is always accepted, so that a client can write back what it read.
/// - Fields that are not sent take their catalog default, when it has one that is not `null`.
/// - An enabled subscription needs every required field non-empty after defaults; empty means absent, `null`, a string
///   of only whitespace, an empty array or an empty object (as for destination settings). A disabled subscription
///   may be incomplete.
/// - When several values are wrong, the error names the first in key order.
public enum ActionSettings {
    /// What to do with a settings key that is not a field of the action.
    public enum UnknownKeys: Sendable {
        /// Refuse it with a 422 naming `settings.<key>` (the default).
        case refuse
        /// Keep it as sent, unchecked (mapping directives in it are still validated).
        case keep
    }

    /// Checks a subscription's settings and fills in defaults.
    ///
    /// - Parameters:
    ///   - settings: The settings to save (for an update, already merged into the stored ones).
    ///   - fields: The action's fields, from the catalog.
    ///   - enabled: Whether the subscription is enabled once saved.
    ///   - unknownKeys: Whether a key that is not a field of the action is refused (the default) or kept.
    ///   - otherFields: Keys the action takes that its catalog fields do not list
    ///     (``DestinationMetadata/unlistedFieldKeys(actionID:)``): kept as sent, their mapping directives checked.
    /// - Returns: The settings to store: those given, plus the default of every field not given.
    /// - Throws: ``ValidationError`` (422) whose `field` is `settings.<fieldKey>`: for a key that is not a field of the
    ///   action, a value of the wrong type, a value not among the field's choices, a `null` where not allowed, an invalid
    ///   mapping directive, or (when `enabled`) one naming every required field that is empty (`field` the first of
    ///   them, in catalog order).
    public static func validate(
        _ settings: [String: JSONValue],
        fields: [ActionField],
        enabled: Bool,
        unknownKeys: UnknownKeys = .refuse,
        otherFields: Set<String> = []
    ) throws(ValidationError) -> [String: JSONValue] {
        var byKey: [String: ActionField] = [:]
        for field in fields where byKey[field.fieldKey] == nil { byKey[field.fieldKey] = field }

        for key in settings.keys.sorted() {
            guard let field = byKey[key] else {
                if unknownKeys == .keep || otherFields.contains(key) {
                    try Mapping.validate(settings[key]!, field: key)
                    continue
                }
                let known = fields.map(\.fieldKey)
                let list = known.isEmpty ? "it has no fields" : "its fields are \(known.joined(separator: ", "))"
                throw ValidationError("settings.\(key) is not a field of this action; \(list)", field: "settings.\(key)")
            }
            try check(settings[key]!, field: field)
        }

        var result = settings
        for field in fields where result[field.fieldKey] == nil {
            if let value = field.defaultValue, !value.isNull { result[field.fieldKey] = value }
        }

        if enabled {
            var seen = Set<String>()
            let missing = fields.filter { $0.required && seen.insert($0.fieldKey).inserted && isEmpty(result[$0.fieldKey]) }
            if let first = missing.first {
                let names = missing.map { "settings.\($0.fieldKey)" }.joined(separator: ", ")
                let verb = missing.count == 1 ? "is" : "are"
                throw ValidationError("\(names) \(verb) required when the subscription is enabled", field: "settings.\(first.fieldKey)")
            }
        }
        return result
    }

    /// Whether a value counts as empty for a required field: absent, `null`, only whitespace, `[]` or `{}`.
    public static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let text)?: text.allSatisfy(\.isWhitespace)
        case .array(let elements)?: elements.isEmpty
        case .object(let members)?: members.isEmpty
        case .bool?, .number?: false
        }
    }

    // MARK: - One value

    private static func check(_ value: JSONValue, field: ActionField) throws(ValidationError) {
        if let defaultValue = field.defaultValue, value == defaultValue { return }
        let name = "settings.\(field.fieldKey)"
        let kind = FieldKind(field.type)
        if Mapping.isDirective(value) {
            try Mapping.validate(value, field: field.fieldKey)
            return
        }
        if value.isNull {
            guard field.allowNull else { throw ValidationError("\(name) must not be null", field: name) }
            return
        }
        guard field.multiple else {
            try checkElement(value, field: field, kind: kind, location: name)
            return
        }
        guard case .array(let elements) = value else {
            throw ValidationError(
                "\(name) must be an array of \(kind.plural) or a mapping directive, found \(Mapping.describe(value))", field: name
            )
        }
        for (index, element) in elements.enumerated() {
            let location = "\(name)[\(index)]"
            if Mapping.isDirective(element) {
                try Mapping.validate(element, location: location, field: name)
            } else if element.isNull {
                guard field.allowNull else { throw ValidationError("\(location) must not be null", field: name) }
            } else {
                try checkElement(element, field: field, kind: kind, location: location)
            }
        }
    }

    /// Checks one literal (not null, not a directive) against the field's type and choices.
    private static func checkElement(_ value: JSONValue, field: ActionField, kind: FieldKind, location: String) throws(ValidationError) {
        let name = "settings.\(field.fieldKey)"
        if let problem = kind.problem(with: value) {
            throw ValidationError("\(location) must be \(kind.singular) or a mapping directive, found \(problem)", field: name)
        }
        if case .object = value { try Mapping.validate(value, location: location, field: name) }
        if case .array = value { try Mapping.validate(value, location: location, field: name) }
        let choices = choiceValues(field.choices)
        guard !choices.isEmpty, !choices.contains(value) else { return }
        let shown = choices.prefix(20).map { String(decoding: JSONWriter.encode($0), as: UTF8.self) }.joined(separator: ", ")
        throw ValidationError("\(location) must be one of \(shown)\(choices.count > 20 ? ", …" : "")", field: name)
    }

    /// The allowed values of a field's `choices`: the `value` of each `{label, value}` object, or each plain element.
    static func choiceValues(_ choices: JSONValue?) -> [JSONValue] {
        guard case .array(let elements)? = choices else { return [] }
        return elements.map { element in
            if case .object(let members) = element, let value = members["value"] { return value }
            return element
        }
    }

    /// An action field's `type`, with what its literals must look like (and, at delivery, what a payload's values are
    /// coerced to: `ActionPayload` in SluiceDelivery).
    public enum FieldKind: Sendable {
        /// `STRING`, `TEXT` and `PASSWORD`.
        case string
        case number, integer, boolean, dateTime, object
        /// `HIDDEN`: a string literal in settings; a payload value it leaves unchecked, as Segment's schema does.
        case hidden
        /// A type the catalog may add later: any value.
        case any

        /// The kind of a catalog field type (case-insensitive); an unknown type takes any value.
        public init(_ type: String) {
            switch type.uppercased() {
            case "STRING", "TEXT", "PASSWORD": self = .string
            case "HIDDEN": self = .hidden
            case "NUMBER": self = .number
            case "INTEGER": self = .integer
            case "BOOLEAN": self = .boolean
            case "DATETIME": self = .dateTime
            case "OBJECT": self = .object
            default: self = .any
            }
        }

        /// One literal of this kind, for messages: `a whole number`.
        var singular: String {
            switch self {
            case .string, .hidden: "a string"
            case .number: "a number"
            case .integer: "a whole number"
            case .boolean: "a boolean"
            case .dateTime: "an ISO 8601 date-time string (such as 2024-05-01T12:00:00Z)"
            case .object: "an object"
            case .any: "a JSON value"
            }
        }

        /// Literals of this kind, for messages: `whole numbers`.
        var plural: String {
            switch self {
            case .string, .hidden: "strings"
            case .number: "numbers"
            case .integer: "whole numbers"
            case .boolean: "booleans"
            case .dateTime: "ISO 8601 date-time strings"
            case .object: "objects"
            case .any: "JSON values"
            }
        }

        /// What is wrong with a literal of this kind (described for a message), or `nil` when it fits.
        func problem(with value: JSONValue) -> String? {
            switch (self, value) {
            case (.any, _), (.string, .string), (.hidden, .string), (.number, .number), (.boolean, .bool), (.object, .object): return nil
            case (.integer, .number(let n)):
                if n.rounded() != n { return "a number with a fraction" }
                return abs(n) <= 9_007_199_254_740_991 ? nil : "a number beyond ±9007199254740991"
            case (.dateTime, .string(let text)):
                return ISO8601Text.isDateTime(text) ? nil : "a string that is not an ISO 8601 date-time"
            default:
                return Mapping.describe(value)
            }
        }
    }
}
