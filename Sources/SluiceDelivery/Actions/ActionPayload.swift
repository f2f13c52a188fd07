import SluiceCore

/// The checks Segment's Actions runtime makes on a resolved payload before an action runs, with the action's
/// fields from the catalog: what `removeEmptyValues`, the fields' JSON Schema and Ajv (`coerceTypes: "array"`) do in
/// segmentio/action-destinations' `packages/core`.
///
/// In order:
/// 1. Empty values go: `null` where the field does not allow it, `""` in any field, and `""` in a multiple field's
///    elements of a type other than text.
/// 2. Values are coerced to the field's type where Ajv coerces: a number or boolean to text (`12`, `true`); text
///    that is a number to a number (an integer field takes only whole numbers); `"true"`/`"false"` and `1`/`0` to a
///    boolean; a single value to a one-element array in a multiple field; a one-element array to its element in
///    a field that is not multiple.
/// 3. The payload is checked: every required field present, each value of its type (an object field takes an
///    object; a datetime text or a number), each value one of the field's choices when it has them.
///
/// Keys that are not fields of the action (the batching keys, presets' extra keys) pass unchanged. A failure names
/// every value that does not fit, in Segment's words (`The root value is missing the required field 'url'.`), and
/// the event is discarded with it: retrying cannot change the payload.
public enum ActionPayload {
    /// Prepares a payload, or says why it does not fit the fields.
    public static func prepare(_ payload: [String: JSONValue], fields: [ActionField]) -> Result<[String: JSONValue], ActionFailure> {
        prepare(payload, checks: fields.map(Check.init))
    }

    /// What ``prepare(_:fields:)`` needs of a field, worked out once per action rather than once per event.
    public struct Check: Sendable {
        let key: String
        let type: ActionSettings.FieldKind
        let required: Bool
        let multiple: Bool
        let allowNull: Bool
        let choices: [JSONValue]?

        /// The check of a catalog field.
        public init(_ field: ActionField) {
            key = field.fieldKey
            type = ActionSettings.FieldKind(field.type)
            required = field.required
            multiple = field.multiple
            allowNull = field.allowNull
            choices = ActionPayload.choiceValues(field.choices)
        }
    }

    /// ``prepare(_:fields:)`` with the fields' checks worked out.
    public static func prepare(_ payload: [String: JSONValue], checks: [Check]) -> Result<[String: JSONValue], ActionFailure> {
        let keys = Array(payload.keys)
        var values: [JSONValue?] = keys.map { payload[$0] }
        let indexes = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        return prepare(keys: keys, values: &values, checked: checks.map { ($0, indexes[$0.key]) })
    }

    /// A subscription's settings compiled once with its action's checks: each event's payload, prepared, without
    /// looking fields up by name (the preparation of ``ActionsRuntime``).
    public struct Preparation: Sendable {
        let settings: Mapping.CompiledSettings
        /// Each check, in the catalog's order, with the index of its field among the settings' keys.
        let checked: [(check: Check, index: Int?)]

        /// Compiles a subscription's settings for an action's checks.
        public init(settings: [String: JSONValue], checks: [Check]) {
            self.settings = Mapping.CompiledSettings(settings)
            let indexes = Dictionary(self.settings.keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            checked = checks.map { ($0, indexes[$0.key]) }
        }

        /// The settings resolved against an event and prepared, as ``ActionPayload/prepare(_:checks:)`` prepares them.
        public func payload(for event: JSONValue) -> Result<[String: JSONValue], ActionFailure> {
            var values = settings.values(in: event)
            return ActionPayload.prepare(keys: settings.keys, values: &values, checked: checked)
        }
    }

    /// The payload whose members are `keys` with `values` (`nil` for none), coerced and checked.
    private static func prepare(
        keys: [String], values: inout [JSONValue?], checked: [(check: Check, index: Int?)]
    )
        -> Result<[String: JSONValue], ActionFailure>
    {
        var errors: [String] = []
        for (check, index) in checked {
            guard let index, let value = values[index] else { continue }
            switch coerce(value, check: check) {
            case .absent: values[index] = nil
            case .value(let coerced): values[index] = coerced
            case .invalid(let message): errors.append(message)
            }
        }
        for (check, index) in checked where check.required && (index.map { values[$0] == nil } ?? true) {
            errors.append("The root value is missing the required field '\(check.key)'.")
        }
        guard errors.isEmpty else { return .failure(.invalidPayload(errors.joined(separator: " "))) }
        var result: [String: JSONValue] = [:]
        result.reserveCapacity(keys.count)
        for (key, value) in zip(keys, values) {
            if let value { result[key] = value }
        }
        return .success(result)
    }

    enum Coerced: Equatable {
        case absent
        case value(JSONValue)
        case invalid(String)
    }

    static func coerce(_ value: JSONValue, check field: Check) -> Coerced {
        if value == .null { return field.allowNull ? .value(.null) : .absent }
        if value == .string("") { return .absent }
        let key = field.key
        let at = { "/\(key)" }
        let choices = field.choices
        if field.multiple {
            let elements: [JSONValue]
            if case .array(let array) = value { elements = array } else { elements = [value] }
            var kept: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                if element == .null, !field.allowNull { continue }
                if element == .string(""), field.type != .string { continue }
                switch coerceScalar(element, type: field.type, at: "\(at())/\(index)", choices: choices, allowNull: field.allowNull) {
                case .value(let coerced): kept.append(coerced)
                case .invalid(let message): return .invalid(message)
                case .absent: continue
                }
            }
            return .value(.array(kept))
        }
        if case .array(let array) = value, array.count == 1, field.type != .object {
            return coerceScalar(array[0], type: field.type, at: at(), choices: choices, allowNull: field.allowNull)
        }
        return coerceScalar(value, type: field.type, at: at(), choices: choices, allowNull: field.allowNull)
    }

    private static func coerceScalar(
        _ value: JSONValue, type: ActionSettings.FieldKind, at: @autoclosure () -> String, choices: [JSONValue]?, allowNull: Bool
    ) -> Coerced {
        if value == .null, allowNull { return .value(.null) }
        let coerced: JSONValue?
        let expected: String
        switch type {
        case .string:
            expected = "a string"
            switch value {
            case .string: coerced = value
            case .number(let n): coerced = .string(JavaScript.numberToString(n))
            case .bool(let b): coerced = .string(b ? "true" : "false")
            default: coerced = nil
            }
        case .number, .integer:
            let integer = type == .integer
            expected = integer ? "an integer" : "a number"
            var number: Double?
            switch value {
            case .number(let n): number = n
            case .string(let s): number = s.isEmpty ? nil : JavaScript.stringToNumber(s)
            case .bool(let b): number = b ? 1 : 0
            default: number = nil
            }
            if let n = number, n.isFinite, !integer || n.rounded(.towardZero) == n { coerced = .number(n) } else { coerced = nil }
        case .boolean:
            expected = "a boolean"
            switch value {
            case .bool: coerced = value
            case .string("true"), .number(1): coerced = .bool(true)
            case .string("false"), .number(0): coerced = .bool(false)
            default: coerced = nil
            }
        case .dateTime:
            expected = "a string or number"
            switch value {
            case .string, .number: coerced = value
            case .bool(let b): coerced = .string(b ? "true" : "false")
            default: coerced = nil
            }
        case .object:
            expected = "an object"
            if case .object = value { coerced = value } else { coerced = nil }
        case .hidden, .any:
            // HIDDEN and any type the catalog may add: not checked, as Segment's schema has no such JSON type.
            expected = ""
            coerced = value
        }
        guard let coerced else {
            return .invalid("The value at \(at()) must be \(expected) but it was \(describe(value)).")
        }
        if let choices, !choices.contains(coerced) {
            let list = choices.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) }.joined(separator: ", ")
            return .invalid("The value at \(at()) must be one of: \(list).")
        }
        return .value(coerced)
    }

    /// The values a field's `choices` allow: plain values, or the `value` of `{label, value}` objects.
    static func choiceValues(_ choices: JSONValue?) -> [JSONValue]? {
        guard case .array(let items)? = choices, !items.isEmpty else { return nil }
        return items.map { item in
            if case .object(let members) = item, let value = members["value"] { return value }
            return item
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Why an action cannot send an event: the outcome to record for it, with a reason that carries no payload values.
public struct ActionFailure: Error, Sendable, Equatable {
    /// The outcome: a discard for a payload or settings that cannot make a request.
    public var outcome: DeliveryOutcome

    /// Creates a failure with an outcome.
    public init(outcome: DeliveryOutcome) {
        self.outcome = outcome
    }

    /// The payload does not fit the action's fields: discarded.
    public static func invalidPayload(_ message: String) -> ActionFailure {
        ActionFailure(outcome: .discarded(reason: "payload validation failed: \(message)"))
    }

    /// The destination's or subscription's settings cannot make a request (a bad URL, a missing key): discarded.
    public static func invalidSettings(_ message: String) -> ActionFailure {
        ActionFailure(outcome: .invalidSettings(message))
    }
}
